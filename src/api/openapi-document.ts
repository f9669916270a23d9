import { buildApp } from './app.ts';
import type { ApiServices } from './context.ts';

/**
 * The OpenAPI document as the code declares it, without a database: route schemas don't touch
 * services. `npm run openapi` writes it to docs/openapi.json; a test fails when the two drift.
 */
export async function openApiDocument(): Promise<unknown> {
  const app = await buildApp({ services: routesOnly(), logLevel: 'silent' });
  await app.ready();
  const document = app.swagger();
  await app.close();
  return document;
}

/**
 * Enough of the services for building the app to read its routes, not to serve: route registration
 * only subscribes to ledger batches (metrics). Any handler call would fail loudly.
 */
export function routesOnly(): ApiServices {
  const ledger = { onBatch: () => () => undefined };
  return { ledger } as unknown as ApiServices;
}
