import type { ReactNode } from 'react';
import { Empty, Loading } from './Alert.tsx';
import type { PagedList } from './hooks.ts';

/** A column heading; `{ num }` right-aligns it over figures. `false` leaves the column out. */
export type Column = string | { num: string } | false;

/** The table every list uses: a scrolling frame, a caption for screen readers, one heading row. */
export function Table({
  columns,
  caption,
  children,
}: {
  columns: readonly Column[];
  caption?: string;
  children: ReactNode;
}) {
  return (
    <div className="table-wrap">
      <table>
        {caption ? <caption className="sr-only">{caption}</caption> : null}
        <thead>
          <tr>
            {columns.map((c) =>
              c === false ? null : typeof c === 'string' ? (
                <th key={c} scope="col">
                  {c}
                </th>
              ) : (
                <th key={c.num} scope="col" className="num">
                  {c.num}
                </th>
              ),
            )}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/**
 * Under a paged list: "Loading…", the empty message once an answer came back with nothing (and no
 * error), and "Load more" while the server has more.
 */
export function ListFooter({
  list,
  empty,
  error = list.error,
}: {
  list: PagedList<unknown>;
  empty: string;
  /** The error the page shows, when it is not the list's own. */
  error?: unknown;
}) {
  return (
    <>
      <Loading when={list.loading} />
      <Empty when={!list.loading && !error && list.items.length === 0}>{empty}</Empty>
      {list.hasMore ? (
        <button type="button" onClick={list.loadMore} disabled={list.loading}>
          Load more
        </button>
      ) : null}
    </>
  );
}
