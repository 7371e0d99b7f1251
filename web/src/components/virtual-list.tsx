import { type ReactNode, useEffect, useRef, useState } from 'react';

/** Rows drawn above and below the visible window, so a fast scroll shows no gap. */
const OVERSCAN = 6;

export interface VirtualListProps<T> {
  readonly items: readonly T[];
  /** Every row is this tall (px): positions are arithmetic, never measured. */
  readonly rowHeight: number;
  /** The list's own height (px); it scrolls inside it. */
  readonly height: number;
  readonly rowKey: (item: T) => string;
  readonly renderRow: (item: T, index: number) => ReactNode;
  readonly testId?: string;
}

/**
 * A windowed list: only the rows in view (plus a few) are in the DOM, placed absolutely
 * inside a spacer as tall as the whole list, so 5,000 rows cost as much as 20.
 */
export function VirtualList<T>(props: VirtualListProps<T>) {
  const { items, rowHeight, height, rowKey, renderRow } = props;
  const ref = useRef<HTMLDivElement>(null);
  const [top, setTop] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const onScroll = () => setTop(el.scrollTop);
    el.addEventListener('scroll', onScroll, { passive: true });
    return () => el.removeEventListener('scroll', onScroll);
  }, []);
  const total = items.length * rowHeight;
  const first = Math.max(0, Math.floor(top / rowHeight) - OVERSCAN);
  const last = Math.min(items.length, Math.ceil((top + height) / rowHeight) + OVERSCAN);
  const rows: ReactNode[] = [];
  for (let i = first; i < last; i++) {
    const item = items[i]!;
    rows.push(
      <div key={rowKey(item)} className="vrow" style={{ top: i * rowHeight, height: rowHeight }}>
        {renderRow(item, i)}
      </div>,
    );
  }
  return (
    <div
      ref={ref}
      className="vlist"
      style={{ height: Math.min(height, total || rowHeight) }}
      data-testid={props.testId}
      data-rows={items.length}
    >
      <div style={{ height: total, position: 'relative' }}>{rows}</div>
    </div>
  );
}
