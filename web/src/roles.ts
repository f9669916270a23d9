/** What each role may do in the console (docs/console.md, "Roles"); the server enforces it anyway. */
export type Role = 'admin' | 'finance' | 'support' | 'viewer';

export const roles: readonly Role[] = ['admin', 'finance', 'support', 'viewer'];

export type Capability =
  | 'export'
  | 'freeze'
  | 'kyc'
  | 'approve'
  | 'adjust'
  | 'edit_fees'
  | 'merchants_write'
  | 'operators';

const table: Record<Capability, readonly Role[]> = {
  export: ['admin', 'finance', 'support'],
  freeze: ['admin', 'support'],
  kyc: ['admin', 'support'],
  approve: ['admin', 'finance'],
  adjust: ['admin', 'finance'],
  edit_fees: ['admin', 'finance'],
  merchants_write: ['admin'],
  operators: ['admin'],
};

export function can(role: string | undefined, capability: Capability): boolean {
  return role !== undefined && (table[capability] as readonly string[]).includes(role);
}
