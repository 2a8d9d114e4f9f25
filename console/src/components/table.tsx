import {
  type ColumnDef,
  createTable,
  getCoreRowModel,
  getSortedRowModel,
  type RowData,
  type SortingState,
  type TableOptionsResolved,
  type TableState,
  type Updater,
} from '@tanstack/table-core';
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

/**
 * TanStack Table's core with Preact: the table instance is made once and given fresh options on
 * every render, as its React adapter does. Sorting is either the table's own (`sort="client"`) or
 * the caller's (`sort="server"`: a header click asks the caller, which reloads from the API).
 */

// biome-ignore lint/suspicious/noExplicitAny: TanStack's own ColumnDef default; each column's value type differs
export type Columns<T> = ColumnDef<T, any>[];

interface DataTableProps<T extends RowData> {
  caption: string;
  columns: Columns<T>;
  data: T[];
  sort?: 'client' | 'server';
  sorting?: SortingState;
  onSortingChange?: (sorting: SortingState) => void;
  rowKey?: (row: T) => string;
}

const apply = <S,>(updater: Updater<S>, previous: S): S => (typeof updater === 'function' ? (updater as (old: S) => S)(previous) : updater);

function render<C>(value: unknown, context: C): ComponentChildren {
  return typeof value === 'function' ? (value as (context: C) => ComponentChildren)(context) : (value as ComponentChildren);
}

export function DataTable<T extends RowData>({ caption, columns, data, sort, sorting, onSortingChange, rowKey }: DataTableProps<T>) {
  const [state, setState] = useState<Partial<TableState>>({ sorting: [] });
  const [table] = useState(() =>
    createTable<T>({
      data,
      columns,
      getCoreRowModel: getCoreRowModel(),
      state: {},
      onStateChange: () => undefined,
      renderFallbackValue: null,
    } as TableOptionsResolved<T>),
  );
  const currentSorting = sort === 'server' ? (sorting ?? []) : (state.sorting ?? []);
  table.setOptions((previous) => ({
    ...previous,
    data,
    columns,
    enableSorting: sort !== undefined,
    enableSortingRemoval: sort === 'client',
    manualSorting: sort === 'server',
    ...(sort === 'client' ? { getSortedRowModel: getSortedRowModel<T>() } : {}),
    ...(rowKey ? { getRowId: (row: T) => rowKey(row) } : {}),
    state: { ...table.initialState, ...state, sorting: currentSorting },
    onStateChange: (updater) => setState((old) => apply(updater, { ...table.initialState, ...old } as TableState)),
    onSortingChange: (updater) => {
      const next = apply(updater, currentSorting);
      if (sort === 'server') onSortingChange?.(next);
      else setState((old) => ({ ...old, sorting: next }));
    },
  }));

  const rows = sort === 'client' ? table.getSortedRowModel().rows : table.getCoreRowModel().rows;
  return (
    <div class="table-wrap">
      <table>
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id}>
              {group.headers.map((header) => {
                const label = render(header.column.columnDef.header, header.getContext());
                const direction = header.column.getIsSorted();
                const numeric = (header.column.columnDef.meta as { numeric?: boolean } | undefined)?.numeric;
                return (
                  <th
                    key={header.id}
                    scope="col"
                    class={numeric ? 'numeric' : undefined}
                    aria-sort={direction === 'asc' ? 'ascending' : direction === 'desc' ? 'descending' : undefined}
                  >
                    {header.column.getCanSort() ? (
                      <button type="button" class="sort" onClick={header.column.getToggleSortingHandler()}>
                        {label}
                        <span aria-hidden="true" class="sort-mark">
                          {direction === 'asc' ? '▲' : direction === 'desc' ? '▼' : '↕'}
                        </span>
                      </button>
                    ) : (
                      label
                    )}
                  </th>
                );
              })}
            </tr>
          ))}
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.id}>
              {row.getVisibleCells().map((cell) => {
                const numeric = (cell.column.columnDef.meta as { numeric?: boolean } | undefined)?.numeric;
                return (
                  <td key={cell.id} class={numeric ? 'numeric' : undefined}>
                    {render(cell.column.columnDef.cell, cell.getContext())}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
