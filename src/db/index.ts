export {
  type EmbeddedPostgres,
  type EmbeddedPostgresOptions,
  findFreePort,
  startEmbeddedPostgres,
} from './embedded.ts';
export { migrateToLatest, migrations } from './migrate.ts';
export {
  createPool,
  isDatabaseReady,
  type Pool,
  type PoolClient,
  type PoolOptions,
} from './pool.ts';
