import { Page, Section } from '../../components/Page.tsx';
import { Adjustments } from './Adjustments.tsx';
import { DeadJobs } from './DeadJobs.tsx';
import { PaymentQueue } from './PaymentQueue.tsx';

/** Everything waiting for a finance decision (admin and finance). */
export function Approvals() {
  return (
    <Page title="Approvals">
      <Section id="withdrawals" title="Withdrawals awaiting approval">
        <PaymentQueue queue="approval" />
      </Section>
      <Section id="review" title="Needs review">
        <PaymentQueue queue="review" />
      </Section>
      <Section id="adjustments" title="Adjustments">
        <Adjustments />
      </Section>
      <Section id="dead-jobs" title="Dead jobs">
        <DeadJobs />
      </Section>
    </Page>
  );
}
