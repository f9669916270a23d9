import { buildApp } from './app.ts';
import type { ApiServices } from './context.ts';

/**
 * The OpenAPI document as the code declares it, without a database: route schemas don't touch
 * services. `npm run openapi` writes it to docs/openapi.json; a test fails when the two drift.
 */
export async function openApiDocument(): Promise<unknown> {
  const app = await buildApp({ services: {} as ApiServices, logLevel: 'silent' });
  await app.ready();
  const document = app.swagger();
  await app.close();
  return document;
}
