import { useState } from 'react';
import { api } from '../../api.ts';
import { Empty, ErrorAlert, Loading, Notice } from '../../components/Alert.tsx';
import { usePagedList } from '../../components/hooks.ts';
import { Page } from '../../components/Page.tsx';
import { ReasonActions } from '../../components/ReasonActions.tsx';
import { dateTime, text } from '../../format.ts';
import { Link } from '../../router.tsx';
import type { KycSubmission } from '../../types.ts';

function ownerOf(s: KycSubmission): string | undefined {
  return s.user?.id ?? s.user_id;
}

function isPdf(s: KycSubmission): boolean {
  const type = s.content_type ?? s.mime_type ?? '';
  return type.includes('pdf');
}

function Document({ submission }: { submission: KycSubmission }) {
  const src = `/v1/operator/kyc/${encodeURIComponent(submission.id)}/file`;
  if (isPdf(submission)) {
    return (
      <a href={src} target="_blank" rel="noopener">
        Open the PDF document ({text(submission.kind)})
      </a>
    );
  }
  return (
    <figure className="kyc-document">
      <a href={src} target="_blank" rel="noopener">
        <img src={src} alt={`${text(submission.kind)} document of ${text(ownerOf(submission))}`} />
      </a>
      <figcaption>
        <a href={src} target="_blank" rel="noopener">
          Open full size
        </a>
      </figcaption>
    </figure>
  );
}

function Owner({ submission }: { submission: KycSubmission }) {
  const id = ownerOf(submission);
  if (!id) return <>—</>;
  const who = submission.user?.display_name ?? submission.user?.email ?? submission.user?.phone;
  return (
    <>
      <Link to={`/users/${encodeURIComponent(id)}`}>{id}</Link>
      {who ? ` (${who})` : ''}
    </>
  );
}

/** Pending KYC submissions: the document and Approve / Reject (admin and support). */
export function Kyc() {
  const list = usePagedList<KycSubmission>('/v1/operator/kyc', { status: 'pending' });
  const [notice, setNotice] = useState<string | null>(null);

  return (
    <Page title="KYC review">
      <ErrorAlert error={list.error} />
      <Notice message={notice} />
      <ul className="cards">
        {list.items.map((s) => {
          const id = encodeURIComponent(s.id);
          return (
            <li key={s.id}>
              <article className="card" aria-labelledby={`kyc-${s.id}`}>
                <h2 id={`kyc-${s.id}`}>
                  {text(s.kind)} · level {text(s.level)}
                </h2>
                <dl className="details">
                  <div>
                    <dt>Submission</dt>
                    <dd>{s.id}</dd>
                  </div>
                  <div>
                    <dt>User</dt>
                    <dd>
                      <Owner submission={s} />
                    </dd>
                  </div>
                  <div>
                    <dt>Sent</dt>
                    <dd>{dateTime(s.created_at)}</dd>
                  </div>
                </dl>
                <Document submission={s} />
                <ReasonActions
                  actions={[
                    {
                      label: 'Approve',
                      done: 'approved',
                      run: (reason) => api.post(`/v1/operator/kyc/${id}/approve`, { reason }),
                    },
                    {
                      label: 'Reject',
                      done: 'rejected',
                      danger: true,
                      requiresReason: true,
                      run: (reason) => api.post(`/v1/operator/kyc/${id}/reject`, { reason }),
                    },
                  ]}
                  onDone={(done) => {
                    setNotice(`Submission ${s.id} ${done}.`);
                    list.reload();
                  }}
                />
              </article>
            </li>
          );
        })}
      </ul>
      <Loading when={list.loading} />
      <Empty when={!list.loading && !list.error && list.items.length === 0}>No submissions waiting.</Empty>
      {list.hasMore ? (
        <button type="button" onClick={list.loadMore} disabled={list.loading}>
          Load more
        </button>
      ) : null}
    </Page>
  );
}
