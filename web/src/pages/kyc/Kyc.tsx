import { useState } from 'react';
import { ErrorAlert, Notice } from '../../components/Alert.tsx';
import { Term } from '../../components/AutoTable.tsx';
import { usePagedList } from '../../components/hooks.ts';
import { Page } from '../../components/Page.tsx';
import { approveReject, ReasonActions } from '../../components/ReasonActions.tsx';
import { ListFooter } from '../../components/Table.tsx';
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
        {list.items.map((s) => (
          <li key={s.id}>
            <article className="card" aria-labelledby={`kyc-${s.id}`}>
              <h2 id={`kyc-${s.id}`}>
                {text(s.kind)} · level {text(s.level)}
              </h2>
              <dl className="details">
                <Term label="Submission">{s.id}</Term>
                <Term label="User">
                  <Owner submission={s} />
                </Term>
                <Term label="Sent">{dateTime(s.created_at)}</Term>
              </dl>
              <Document submission={s} />
              <ReasonActions
                actions={approveReject(`/v1/operator/kyc/${encodeURIComponent(s.id)}`)}
                onDone={(done) => {
                  setNotice(`Submission ${s.id} ${done}.`);
                  list.reload();
                }}
              />
            </article>
          </li>
        ))}
      </ul>
      <ListFooter list={list} empty="No submissions waiting." />
    </Page>
  );
}
