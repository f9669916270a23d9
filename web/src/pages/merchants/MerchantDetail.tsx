import { itemsOf } from '../../api.ts';
import { ErrorAlert, Loading } from '../../components/Alert.tsx';
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
  const role = useRole();
  const editable = can(role, 'merchants_write');
  const merchant = useResource<MerchantDetails>(`/v1/operator/merchants/${encodeURIComponent(id)}`);
  const data = merchant.data;

  return (
    <Page title={data?.name ? `Merchant ${data.name}` : `Merchant ${id}`}>
      <p>
        <Link to="/merchants">Back to merchants</Link>
      </p>
      <ErrorAlert error={merchant.error} />
      <Loading when={merchant.loading && !data} />
      {data ? (
        <>
          <Section id="merchant" title="Details">
            <dl className="details">
              <div>
                <dt>ID</dt>
                <dd className="mono">{data.id}</dd>
              </div>
              <div>
                <dt>Email</dt>
                <dd>{text(data.email)}</dd>
              </div>
              <div>
                <dt>Created</dt>
                <dd>{dateTime(data.created_at)}</dd>
              </div>
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
      ) : null}
    </Page>
  );
}
