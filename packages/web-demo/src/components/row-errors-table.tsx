import type { RowError } from '@herald/client-sdk';
import type { ReactNode } from 'react';

export interface RowErrorsTableProps {
  readonly rows: readonly RowError[];
  /** How many rows the job refused in all; the table may list only the first ones. */
  readonly total?: number;
}

/** The rows a job refused: line, column, the refused value and why. */
export function RowErrorsTable({ rows, total }: RowErrorsTableProps): ReactNode {
  const more = total !== undefined && total > rows.length ? total - rows.length : 0;
  return (
    <div className="table-wrap">
      <table data-testid="row-errors">
        <caption>Refused rows{more > 0 ? ` (first ${rows.length} of ${total})` : ''}</caption>
        <thead>
          <tr>
            <th scope="col">Line</th>
            <th scope="col">Column</th>
            <th scope="col">Value</th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row, index) => (
            // Several errors can share a line and column; the list never reorders, so the index is a stable key.
            // biome-ignore lint/suspicious/noArrayIndexKey: an immutable list, see above
            <tr key={`${row.line}:${row.column ?? ''}:${index}`} data-testid="row-error">
              <td className="num">{row.line}</td>
              <td>{row.column === undefined ? '—' : <code>{row.column}</code>}</td>
              <td>{row.value === undefined ? '—' : <code>{row.value}</code>}</td>
              <td>{row.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
