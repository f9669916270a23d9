import { lazy, Suspense } from 'react';
import { Page } from './components/Page.tsx';
import { Approvals } from './pages/approvals/Approvals.tsx';
import { AuditLog } from './pages/audit/AuditLog.tsx';
import { Kyc } from './pages/kyc/Kyc.tsx';
import { MerchantDetail } from './pages/merchants/MerchantDetail.tsx';
import { Merchants } from './pages/merchants/Merchants.tsx';
import { Operators } from './pages/operators/Operators.tsx';
import { Providers } from './pages/providers/Providers.tsx';
import { TransactionDetail } from './pages/transactions/TransactionDetail.tsx';
import { Transactions } from './pages/transactions/Transactions.tsx';
import { UserDetail } from './pages/users/UserDetail.tsx';
import { Users } from './pages/users/Users.tsx';
import { Link, match } from './router.tsx';

// The dashboard carries the charts (recharts): loaded on its own so other pages stay light.
const Dashboard = lazy(() => import('./pages/dashboard/Dashboard.tsx'));

function NotFound() {
  return (
    <Page title="Page not found">
      <p>
        Nothing here. <Link to="/">Back to the dashboard</Link>.
      </p>
    </Page>
  );
}

function page(path: string) {
  if (path === '/' || path === '/dashboard') return <Dashboard />;
  if (path === '/users') return <Users />;
  if (path === '/transactions') return <Transactions />;
  if (path === '/approvals') return <Approvals />;
  if (path === '/kyc') return <Kyc />;
  if (path === '/providers') return <Providers />;
  if (path === '/merchants') return <Merchants />;
  if (path === '/audit') return <AuditLog />;
  if (path === '/operators') return <Operators />;
  const user = match('/users/:id', path);
  if (user?.id) return <UserDetail key={user.id} id={user.id} />;
  const transaction = match('/transactions/:id', path);
  if (transaction?.id) return <TransactionDetail key={transaction.id} id={transaction.id} />;
  const merchant = match('/merchants/:id', path);
  if (merchant?.id) return <MerchantDetail key={merchant.id} id={merchant.id} />;
  return <NotFound />;
}

export function Routes({ path }: { path: string }) {
  const normalized = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return (
    <Suspense
      fallback={
        <p className="muted" aria-live="polite">
          Loading…
        </p>
      }
    >
      {page(normalized)}
    </Suspense>
  );
}
