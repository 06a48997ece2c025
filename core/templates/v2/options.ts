// ipt-templates-2: how listed options look. A block is a heading (possibly none) followed by one
// item per option: a lead (newline or space), a marker, the option, an item end. Enumerated
// markers give each option its own label, which the answer then cites; bullets do not, so the
// answer repeats the option's text.

import { product } from './fill.ts';

export interface ItemStyle {
  /** What precedes item i (0-based), lead included: `\n(B) `, ` 2. `, `\n- `. */
  marker: (i: number) => string;
  /** Markers differ per item, so an answer can cite one. */
  enumerated: boolean;
}

export const OPTION_HEADINGS: readonly string[] = [
  '',
  'Options:',
  'Choices:',
  'Possible answers:',
  'Pick one:',
  'Select one:',
  'Choose one:',
  'Answer choices:',
  'Candidates:',
  'Your options:',
  'The options are:',
  'Pick from these:',
  'Choose among:',
  'Select an answer:',
  'Available answers:',
  'OPTIONS:',
  'Alternatives:',
];

/** Item ends: mostly nothing, sometimes a semicolon. */
export const ITEM_ENDS: readonly string[] = ['', ';', ''];

const letters = (i: number): string =>
  (i >= 26 ? letters(Math.floor(i / 26) - 1) : '') + String.fromCharCode(65 + (i % 26));

const ROMAN: readonly [number, string][] = [
  [1000, 'M'],
  [900, 'CM'],
  [500, 'D'],
  [400, 'CD'],
  [100, 'C'],
  [90, 'XC'],
  [50, 'L'],
  [40, 'XL'],
  [10, 'X'],
  [9, 'IX'],
  [5, 'V'],
  [4, 'IV'],
  [1, 'I'],
];
const roman = (n: number): string => {
  let out = '';
  for (const [v, s] of ROMAN) {
    while (n >= v) {
      out += s;
      n -= v;
    }
  }
  return out;
};

/** Ways to number item i (0-based). */
export const NUMBERINGS: readonly ((i: number) => string)[] = [
  letters,
  (i) => letters(i).toLowerCase(),
  (i) => String(i + 1),
  (i) => roman(i + 1),
  (i) => roman(i + 1).toLowerCase(),
];

/** How a number is set off; `#` stands for it. */
const DECORATIONS: readonly string[] = ['#. ', '#) ', '(#) ', '[#] ', '#: ', '(#). ', '#). '];
const LEADS: readonly string[] = ['\n', ' '];

export const ENUMERATED_STYLES: readonly ItemStyle[] = product(
  product(NUMBERINGS, DECORATIONS, (n, d) => ({ n, d })),
  LEADS,
  ({ n, d }, lead): ItemStyle => ({
    marker: (i) => lead + d.replace('#', n(i)),
    enumerated: true,
  }),
);

const BULLETS: readonly string[] = [
  '- ',
  '* ',
  '+ ',
  '• ',
  '– ',
  '· ',
  '> ',
  '~ ',
  '-- ',
  '→ ',
  '[ ] ',
  '[-] ',
];
const bullet = (lead: string, b: string): ItemStyle => ({ marker: () => lead + b, enumerated: false });

export const BULLET_STYLES: readonly ItemStyle[] = [
  ...product(['\n', '\n  '], BULLETS, bullet),
  ...['- ', '* ', '• ', '| '].map((b) => bullet(' ', b)),
];

export const OPTION_ITEM_STYLES: readonly ItemStyle[] = [...ENUMERATED_STYLES, ...BULLET_STYLES];

/** Numbered questions reuse the enumerated styles. */
export const QUESTION_ITEM_STYLES: readonly ItemStyle[] = ENUMERATED_STYLES;

/** The text of an options block, and what an answer cites for option `k`. */
export function optionBlock(
  options: readonly string[],
  heading: string,
  style: ItemStyle,
  end: string,
): string {
  return heading + options.map((o, i) => `${style.marker(i)}${o}${end}`).join('');
}

/** An enumerated item's label as the answer cites it: the marker without its lead and spaces. */
export const citedLabel = (style: ItemStyle, k: number): string => style.marker(k).trim();
