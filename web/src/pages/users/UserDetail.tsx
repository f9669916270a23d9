import { itemsOf } from '../../api.ts';
import { ErrorAlert, Loading } from '../../components/Alert.tsx';
import { Details } from '../../components/AutoTable.tsx';
import { useResource } from '../../components/hooks.ts';
import { Page, Section } from '../../components/Page.tsx';
import { amount, dateTime, text } from '../../format.ts';
import { can } from '../../roles.ts';
import { useRole } from '../../session.tsx';
import type { KycSubmission, UserDetail as User, Wallet } from '../../types.ts';
import { AuditTable } from '../audit/AuditTable.tsx';
import { TransactionList } from '../transactions/TransactionList.tsx';
import { FreezeControl } from './FreezeControl.tsx';
import { UserKyc } from './UserKyc.tsx';
import { isFrozen, kycLevelOf } from './userFields.ts';

function pendingOf(wallet: Wallet, side: 'incoming' | 'outgoing'): string {
  if (typeof wallet.pending === 'string') return side === 'incoming' ? amount(wallet.pending) : '—';
  return amount(wallet.pending?.[side]);
}

export function UserDetail({ id }: { id: string }) {
  const role = useRole();
  const user = useResource<User>(`/v1/operator/users/${encodeURIComponent(id)}`);
  const data = user.data;
  const wallets = itemsOf<Wallet>(data?.wallets);
  const submissions: KycSubmission[] = data?.kyc?.submissions ?? data?.kyc_submissions ?? [];
  const frozen = data ? isFrozen(data) : false;

  return (
    <Page title={`User ${id}`}>
      <ErrorAlert error={user.error} />
      <Loading when={user.loading && !data} />
      {data ? (
        <>
          <Section id="profile" title="Profile">
            <dl className="details">
              <div>
                <dt>Name</dt>
                <dd>{text(data.display_name)}</dd>
              </div>
              <div>
                <dt>Email</dt>
                <dd>{text(data.email)}</dd>
              </div>
              <div>
                <dt>Phone</dt>
                <dd>{text(data.phone)}</dd>
              </div>
              <div>
                <dt>KYC level</dt>
                <dd data-testid="user-kyc-level">{kycLevelOf(data)}</dd>
              </div>
              <div>
                <dt>Frozen</dt>
                <dd data-testid="user-frozen">
                  {frozen ? `Yes${data.frozen_reason ? ` — ${data.frozen_reason}` : ''}` : 'No'}
                </dd>
              </div>
              <div>
                <dt>Created</dt>
                <dd>{dateTime(data.created_at)}</dd>
              </div>
            </dl>
            {can(role, 'freeze') ? <FreezeControl userId={id} frozen={frozen} onDone={user.reload} /> : null}
          </Section>
          <Section id="identities" title="Identities">
            {(data.identities ?? []).length === 0 ? (
              <p className="muted">No chat identities.</p>
            ) : (
              <ul>
                {(data.identities ?? []).map((i) => (
                  <li key={`${i.provider}-${i.external_id ?? i.username}`}>
                    {i.provider}: {i.username ? `@${i.username}` : ''}{' '}
                    {i.external_id ? `(${i.external_id})` : ''}
                  </li>
                ))}
              </ul>
            )}
          </Section>
          <Section id="wallets" title="Wallets">
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Currency</th>
                    <th scope="col" className="num">
                      Available
                    </th>
                    <th scope="col" className="num">
                      Pending in
                    </th>
                    <th scope="col" className="num">
                      Pending out
                    </th>
                    <th scope="col" className="num">
                      Posted
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {wallets.map((w) => (
                    <tr key={w.id ?? w.currency}>
                      <th scope="row">{w.currency}</th>
                      <td className="num">{amount(w.available)}</td>
                      <td className="num">{pendingOf(w, 'incoming')}</td>
                      <td className="num">{pendingOf(w, 'outgoing')}</td>
                      <td className="num">{amount(w.posted)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </Section>
          {can(role, 'kyc') ? (
            <Section id="kyc" title="KYC submissions">
              <UserKyc userId={id} />
            </Section>
          ) : submissions.length > 0 ? (
            <Section id="kyc" title="KYC submissions">
              {submissions.map((s) => (
                <Details key={s.id} item={s as unknown as Record<string, unknown>} skip={['user_id']} />
              ))}
            </Section>
          ) : null}
        </>
      ) : null}
      <Section id="transactions" title="Transactions">
        <TransactionList query={{ user_id: id }} />
      </Section>
      <Section id="audit" title="Audit trail">
        <AuditTable path={`/v1/operator/users/${encodeURIComponent(id)}/audit`} query={{}} />
      </Section>
    </Page>
  );
}
