import { itemsOf } from '../../api.ts';
import { Loaded } from '../../components/Alert.tsx';
import { Term } from '../../components/AutoTable.tsx';
import { useResource } from '../../components/hooks.ts';
import { Page, Section } from '../../components/Page.tsx';
import { dateTime, text } from '../../format.ts';
import { can } from '../../roles.ts';
import { Link } from '../../router.tsx';
import { useRole } from '../../session.tsx';
import { type ApiKey, ApiKeys } from './ApiKeys.tsx';
import type { Merchant } from './Merchants.tsx';
import { type WebhookEndpoint, Webhooks } from './Webhooks.tsx';

interface MerchantDetails extends Merchant {
  api_keys?: unknown;
  webhook_endpoints?: unknown;
}

export function MerchantDetail({ id }: { id: string }) {
  const editable = can(useRole(), 'merchants_write');
  const merchant = useResource<MerchantDetails>(`/v1/operator/merchants/${encodeURIComponent(id)}`);
  const name = merchant.data?.name;

  return (
    <Page title={`Merchant ${name || id}`}>
      <p>
        <Link to="/merchants">Back to merchants</Link>
      </p>
      <Loaded resource={merchant}>
        {(data) => (
          <>
            <Section id="merchant" title="Details">
              <dl className="details">
                <Term label="ID" className="mono">
                  {data.id}
                </Term>
                <Term label="Email">{text(data.email)}</Term>
                <Term label="Created">{dateTime(data.created_at)}</Term>
              </dl>
            </Section>
            <Section id="keys" title="API keys">
              <ApiKeys
                merchantId={data.id ?? id}
                keys={itemsOf<ApiKey>(data.api_keys)}
                editable={editable}
                onChanged={merchant.reload}
              />
            </Section>
            <Section id="webhooks" title="Webhook endpoints">
              <Webhooks endpoints={itemsOf<WebhookEndpoint>(data.webhook_endpoints)} editable={editable} />
            </Section>
          </>
        )}
      </Loaded>
    </Page>
  );
}
