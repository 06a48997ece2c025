// ipt-templates-3: the shape of the reference's pattern lists (LMOps read_compre_pt.py), position
// by position, which ipt's own wordings are to follow. Since every draw of a chain restarts from
// one seed (./draws.ts), the index drawn from one list is coupled to the index drawn from another
// and to the framing; the frequencies the reference produces (answers first, reasoning first,
// options before the question, …) therefore depend on which kind of pattern sits at which
// position, not only on how many there are. These are facts read from the reference, not wording.
//
// `order`: per position, where the slots stand: q question, o options, r reasoning, a answer,
// c text, d dialogue history; `|` parts what the pattern shows as the input from the output
// (`q|a*26` = 26 positions in a row of that shape). `delimiter` / `separator`: per position, one
// character indexing DELIMITERS (between input and output) / SEPARATORS (between two pairs).

export const DELIMITERS: readonly string[] = [
  '\n\n',
  ' ',
  '\n======\n',
  '\n',
  '\n-----\n',
  '\n****\n',
  '\n++++++++++\n',
  '\n----\n',
  '\n++++++++\n',
  '\n++++++++++++++++++++++++++++++++\n',
  '\n ---- \n',
  '\n***\n',
  '\n--\n',
  '\n==\n',
  '\n+++++++++\n',
];
export const SEPARATORS: readonly string[] = [
  '\n\n',
  '\n\n\n',
  '\n',
  '\n------\n',
  '\n-----\n',
  '\n--\n',
  '\n----\n',
  '\n---\n',
  '\n****\n',
  '\n\n\n\n',
  '\n\n*****\n\n',
  '\n====\n',
];

export interface ListShape {
  order: string;
  delimiter: string;
  separator: string;
}

export const LIST_SHAPES: Readonly<
  Record<'PLAIN' | 'OPTIONS' | 'COT' | 'OPTIONS_COT' | 'NUMBERED' | 'NEXT_TURN', ListShape>
> = {
  PLAIN: {
    order: 'q|a*26 |q*5 q|a*38 a|q*10',
    delimiter: '001100001023340530330003601030013300333300003133037335680933333333330333a0530a6',
    separator: '0111011101100101202011101101000122110200101120000010011111000100310140001112011',
  },
  OPTIONS: {
    order: 'qo|a*20 oq|a qo|a oq|a*2 q|a*24',
    delimiter: '330330033330533013303035330330033330533013303035',
    separator: '021001102200105100010121021001102200105100010121',
  },
  COT: {
    order:
      'q|ra*6 q|ar q|ra*9 q|ar q|ra*31 q|ar q|r q|ra*9 q|ar q|ra*2 q|ar q|ra*3 q|ar q|ra*3 q|ar q|ra q|ar q|ra q|ar q|ra q|ar q|ra q|ar q|ra q|ar q|ra*7 q|ar q|ra*16 q|ara q|ra*9 q|ar q|ra*4 qa|r ra|q a|qr r|qa qa|r ra|q a|qr r|qa qa|r ra|q*2 a|qr r|qa qa|r ra|q a|qr r|qa qa|r ra|q a|qr qa|r r|qa ra|q a|qr qa|r r|qa ra|q a|qr qa|r r|qa qa|r a|qr ra|q r|qa qa|r a|qr ra|q r|qa qa|r a|qr qa|r ra|q r|qa a|qr qa|r ra|q r|qa a|qr qa|r ra|q*2 r|qa qa|r a|qr ra|q r|qa qa|r a|qr ra|q r|qa a|qr r|qa ra|q qa|r a|qr r|qa ra|q qa|r a|qr r|qa qa|r r|qa ra|q a|qr qa|r r|qa ra|q a|qr qa|r r|qa a|qr r|qa qa|r ra|q a|qr r|qa qa|r ra|q a|qr r|qa',
    delimiter:
      '000135b3003303306303300063000333333333333333303333330c333300333c333033333033303333333333333330333333333c333c33333c3330333333333333333333333333333333333333333333333330303333333033333c3330333333333333333333330333',
    separator:
      '0111011010001001121020001201120000001000000001100005160001100514051005070000000800000000000001019200000110030010010006100000100000000010000000008a00110010001061000011110000000115018101010100055010190500007010b0',
  },
  OPTIONS_COT: {
    order:
      'qo|ra*5 oq|ra qo|ra*3 qo|ar qo|ra*2 oq|ra qo|ra*24 qo|ar qo|ra qo|r qo|ra*14 q|qora qo|ra*2 oq|ra qo|ra*20 qo|ar qo|r qo|ra*9 qo|ar qo|ra*2 qo|ar qo|ra*3 qo|ar qo|ra*3 qo|ar qo|ra qo|ar qo|ra qo|ar qo|ra qo|ar qo|ra qo|ar qo|ra qo|ar qo|ra*7 qo|ar qo|ra*10 oq|ra*6 oq|ara oq|ra*6 qo|ra*3 qo|ar qo|ra*4 qoa|r ra|qo a|qor r|qoa qoa|r ra|qo a|qor r|qoa qoa|r ra|qo*2 a|qor r|qoa qoa|r ra|qo a|qor r|qoa qoa|r ra|qo a|qor qoa|r r|qoa ra|qo a|qor qoa|r r|qoa ra|qo a|qor qoa|r r|qoa qoa|r a|qor ra|qo r|qoa qoa|r a|qor ra|qo r|qoa qoa|r a|qor qoa|r ra|qo r|qoa a|qor qoa|r ra|qo r|qoa a|qor qoa|r ra|qo*2 r|qoa qoa|r a|qor ra|qo r|qoa qoa|r a|qor ra|qo r|qoa a|qor r|qoa ra|qo qoa|r a|qor r|qoa ra|qo qoa|r a|qor r|oqa oqa|r r|oqa ra|oq a|oqr oqa|r r|oqa ra|oq a|oqr oqa|r r|qoa a|qor r|qoa qoa|r ra|qo a|qor r|qoa oqa|r ra|oq a|oqr r|oqa',
    delimiter:
      '00330000003d03e00533333000303003003003333303303350003300600033333333333333303333330c333300333c333033333033303333333333333330333333333c333c33333c3330333333333333333333333333333333333333333333333330303333333033333c3330333333333333333333330333',
    separator:
      '1102011100011011110221001101011210010010001001021111201011000000001000000001100005160001100514051005070000000800000000000001019200000110030010010006100000100000000010000000008a00110010001061000011110000000115018101010100055010190500007010b0',
  },
  NUMBERED: { order: 'cq|a qc|a cq|a*4 ca|q cq|a*4', delimiter: '33300533053', separator: '00210100110' },
  NEXT_TURN: { order: 'd|a*9 a|d*6', delimiter: '000333335303360', separator: '111200001010111' },
};

const DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz';

/** The slot order of each position of a list (run lengths expanded). */
export function ordersOf(shape: ListShape): string[] {
  return shape.order.split(' ').flatMap((run) => {
    const [order, count] = run.split('*');
    return Array.from({ length: Number(count ?? 1) }, () => order as string);
  });
}

/** The delimiter and separator strings of each position of a list. */
export function joinersOf(shape: ListShape): { delimiter: string; separator: string }[] {
  return [...shape.delimiter].map((d, i) => ({
    delimiter: DELIMITERS[DIGITS.indexOf(d)] as string,
    separator: SEPARATORS[DIGITS.indexOf(shape.separator[i] as string)] as string,
  }));
}
