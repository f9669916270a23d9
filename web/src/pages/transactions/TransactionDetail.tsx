import { Loaded } from '../../components/Alert.tsx';
import { AutoTable, Details } from '../../components/AutoTable.tsx';
import { useResource } from '../../components/hooks.ts';
import { Page, Section } from '../../components/Page.tsx';
import { Link } from '../../router.tsx';
import type { TransactionItem } from '../../types.ts';

/** One item (payment or transfer) and the ledger transfers that moved its money. */
export function TransactionDetail({ id }: { id: string }) {
  const item = useResource<TransactionItem>(`/v1/operator/transactions/${encodeURIComponent(id)}`);
  return (
    <Page title={`Transaction ${id}`}>
      <p>
        <Link to="/transactions">Back to transactions</Link>
      </p>
      <Loaded resource={item}>
        {(data) => (
          <>
            <Section id="item" title="Details">
              <Details item={data} skip={['ledger_transfers']} />
              {data.user_id ? (
                <p>
                  <Link to={`/users/${encodeURIComponent(data.user_id)}`}>Open user {data.user_id}</Link>
                </p>
              ) : null}
            </Section>
            <Section id="ledger" title="Ledger transfers">
              <AutoTable
                rows={Array.isArray(data.ledger_transfers) ? data.ledger_transfers : []}
                caption="Ledger transfers"
              />
            </Section>
          </>
        )}
      </Loaded>
    </Page>
  );
}
