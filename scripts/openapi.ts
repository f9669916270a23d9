// Writes docs/openapi.json from the route schemas: `npm run openapi`.
import { writeFile } from 'node:fs/promises';
import { openApiDocument } from '../src/api/openapi-document.ts';

await writeFile(
  new URL('../docs/openapi.json', import.meta.url),
  `${JSON.stringify(await openApiDocument(), null, 2)}\n`,
);
process.stdout.write('docs/openapi.json written\n');
