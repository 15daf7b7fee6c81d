/** Small stroke icons (24×24 grid), drawn here so the bundle needs no icon font or package. */
const PATHS = {
  copy: 'M9 9h10v11H9z M5 15H4V4h11v1',
  check: 'M5 12.5l4.5 4.5L19 7',
  regenerate: 'M20 12a8 8 0 1 1-2.4-5.7 M20 4v5h-5',
  edit: 'M4 20h4L19 9l-4-4L4 16z M13.5 6.5l4 4',
  thumbUp: 'M7 11v9H4v-9z M7 11l4-7c1.5 0 2.5 1 2.2 2.6L12.6 10H18a2 2 0 0 1 2 2.3l-1.1 6A2 2 0 0 1 17 20H7',
  thumbDown: 'M7 13V4H4v9z M7 13l4 7c1.5 0 2.5-1 2.2-2.6L12.6 14H18a2 2 0 0 0 2-2.3l-1.1-6A2 2 0 0 0 17 4H7',
  chevronStart: 'M15 5l-7 7 7 7',
  chevronEnd: 'M9 5l7 7-7 7',
  search: 'M10.5 17a6.5 6.5 0 1 0 0-13 6.5 6.5 0 0 0 0 13z M15.5 15.5L20 20',
  close: 'M6 6l12 12 M18 6L6 18',
  sun: 'M12 16a4 4 0 1 0 0-8 4 4 0 0 0 0 8z M12 2v2 M12 20v2 M4.9 4.9l1.4 1.4 M17.7 17.7l1.4 1.4 M2 12h2 M20 12h2 M4.9 19.1l1.4-1.4 M17.7 6.3l1.4-1.4',
  moon: 'M20 14.5A8 8 0 1 1 9.5 4a6.5 6.5 0 0 0 10.5 10.5z',
  system: 'M3 5h18v11H3z M8 20h8 M12 16v4',
  document: 'M6 3h8l4 4v14H6z M14 3v4h4 M9 12h6 M9 16h6',
} as const;

export type IconName = keyof typeof PATHS;

/** Directional icons (previous/next) mirror in right-to-left pages, as the reading order does. */
const MIRRORED = new Set<IconName>(['chevronStart', 'chevronEnd']);

export function Icon({ name }: { name: IconName }) {
  return (
    <svg
      className={MIRRORED.has(name) ? 'icon-svg icon-mirror' : 'icon-svg'}
      viewBox="0 0 24 24"
      width="18"
      height="18"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.8"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d={PATHS[name]} />
    </svg>
  );
}
