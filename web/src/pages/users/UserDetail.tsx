import { itemsOf } from '../../api.ts';
import { Loaded } from '../../components/Alert.tsx';
import { Details, Term } from '../../components/AutoTable.tsx';
import { useResource } from '../../components/hooks.ts';
import { Page, Section } from '../../components/Page.tsx';
import { Table } from '../../components/Table.tsx';
import { amount, dateTime, text } from '../../format.ts';
import { can } from '../../roles.ts';
import { useRole } from '../../session.tsx';
import type { UserDetail as User, Wallet } from '../../types.ts';
import { AuditTable } from '../audit/AuditTable.tsx';
import { TransactionList } from '../transactions/TransactionList.tsx';
import { FreezeControl } from './FreezeControl.tsx';
import { UserKyc } from './UserKyc.tsx';
import { isFrozen, kycLevelOf } from './userFields.ts';

function pendingOf(wallet: Wallet, side: 'incoming' | 'outgoing'): string {
  if (typeof wallet.pending === 'string') return side === 'incoming' ? amount(wallet.pending) : '—';
  return amount(wallet.pending?.[side]);
}

const walletColumns = [
  'Currency',
  { num: 'Available' },
  { num: 'Pending in' },
  { num: 'Pending out' },
  { num: 'Posted' },
];

function Profile({ id, user, onChanged }: { id: string; user: User; onChanged: () => void }) {
  const role = useRole();
  const frozen = isFrozen(user);
  const identities = user.identities ?? [];
  const submissions = user.kyc?.submissions ?? user.kyc_submissions ?? [];
  return (
    <>
      <Section id="profile" title="Profile">
        <dl className="details">
          <Term label="Name">{text(user.display_name)}</Term>
          <Term label="Email">{text(user.email)}</Term>
          <Term
            label="Phone"
            data-testid="user-phone"
            title="Verified: shared in a chat as the person's own. An unverified number receives nothing sent to it."
          >
            {user.phone
              ? `${user.phone} (${user.phone_verified ? 'verified' : 'unverified'})`
              : text(user.phone)}
          </Term>
          <Term label="KYC level" data-testid="user-kyc-level">
            {kycLevelOf(user)}
          </Term>
          <Term label="Frozen" data-testid="user-frozen">
            {frozen ? `Yes${user.frozen_reason ? ` — ${user.frozen_reason}` : ''}` : 'No'}
          </Term>
          <Term label="Created">{dateTime(user.created_at)}</Term>
        </dl>
        {can(role, 'freeze') ? <FreezeControl userId={id} frozen={frozen} onDone={onChanged} /> : null}
      </Section>
      <Section id="identities" title="Identities">
        {identities.length === 0 ? (
          <p className="muted">No chat identities.</p>
        ) : (
          <ul>
            {identities.map((i) => (
              <li key={`${i.provider}-${i.external_id ?? i.username}`}>
                {i.provider}: {i.username ? `@${i.username}` : ''} {i.external_id ? `(${i.external_id})` : ''}
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section id="wallets" title="Wallets">
        <Table columns={walletColumns}>
          {itemsOf<Wallet>(user.wallets).map((w) => (
            <tr key={w.id ?? w.currency}>
              <th scope="row">{w.currency}</th>
              <td className="num">{amount(w.available)}</td>
              <td className="num">{pendingOf(w, 'incoming')}</td>
              <td className="num">{pendingOf(w, 'outgoing')}</td>
              <td className="num">{amount(w.posted)}</td>
            </tr>
          ))}
        </Table>
      </Section>
      {can(role, 'kyc') || submissions.length > 0 ? (
        <Section id="kyc" title="KYC submissions">
          {can(role, 'kyc') ? (
            <UserKyc userId={id} />
          ) : (
            submissions.map((s) => (
              <Details key={s.id} item={s as unknown as Record<string, unknown>} skip={['user_id']} />
            ))
          )}
        </Section>
      ) : null}
    </>
  );
}

export function UserDetail({ id }: { id: string }) {
  const user = useResource<User>(`/v1/operator/users/${encodeURIComponent(id)}`);
  return (
    <Page title={`User ${id}`}>
      <Loaded resource={user}>{(data) => <Profile id={id} user={data} onChanged={user.reload} />}</Loaded>
      <Section id="transactions" title="Transactions">
        <TransactionList query={{ user_id: id }} />
      </Section>
      <Section id="audit" title="Audit trail">
        <AuditTable path={`/v1/operator/users/${encodeURIComponent(id)}/audit`} />
      </Section>
    </Page>
  );
}
