/**
 * Reads a command's usage line (`kit-runner dep add|remove PARENT CHILD`,
 * `kit-runner cluster {move TAG NODE [--timeout S] | apply [TAG] ...}`) into what shell
 * completion needs: the sequences of positional arguments it allows, and the value each option
 * takes. The usage line is the one source: change it and completion follows.
 *
 * Grammar: words separated by blanks; `[...]` optional, `{a ... | b ...}` alternatives, `...`
 * after a word or group repeats it, `a|b` in a word is a choice of literal words. A word starting
 * with `-` is an option; the word after it (in the same group) is its value when it is not an option.
 */

type Node = { t: 'word'; text: string } | { t: 'opt'; items: Node[] } | { t: 'alt'; branches: Node[][] };

function tokenize(usage: string): string[] {
  return usage
    .replace(/([[\]{}])/g, ' $1 ')
    .split(/\s+/)
    .filter(Boolean);
}

function parseSeq(tokens: string[], pos: { i: number }, end: string[]): Node[] {
  const out: Node[] = [];
  while (pos.i < tokens.length && !end.includes(tokens[pos.i]!)) {
    const tok = tokens[pos.i++]!;
    if (tok === '...') continue;
    if (tok === '[') {
      const items = parseSeq(tokens, pos, [']']);
      pos.i++;
      out.push({ t: 'opt', items });
    } else if (tok === '{') {
      const branches: Node[][] = [];
      for (;;) {
        branches.push(parseSeq(tokens, pos, ['|', '}']));
        if (tokens[pos.i++] !== '|') break;
      }
      out.push({ t: 'alt', branches });
    } else out.push({ t: 'word', text: tok.replace(/\.\.\.$/, '') });
  }
  return out;
}

export function parseUsage(usage: string): Node[] {
  const tokens = tokenize(usage);
  // Drop "kit-runner NAME".
  return parseSeq(tokens.slice(2), { i: 0 }, []);
}

const isFlag = (w: string) => w.startsWith('-') && w !== '--';
const isValueWord = (w: string) => !w.startsWith('-');

/** `--server` -> `SERVER`, `--switchback` -> `intelligent|automatic`: each option's value word (none for a switch). */
export function optionValues(usage: string): Map<string, string | undefined> {
  const map = new Map<string, string | undefined>();
  const walk = (seq: Node[]) => {
    seq.forEach((n, i) => {
      if (n.t === 'opt') walk(n.items);
      else if (n.t === 'alt') for (const b of n.branches) walk(b);
      else if (isFlag(n.text)) {
        const next = seq[i + 1];
        const value = next?.t === 'word' && isValueWord(next.text) ? next.text : undefined;
        for (const f of n.text.split('|')) if (!map.has(f) || value) map.set(f, value);
      }
    });
  };
  walk(parseUsage(usage));
  return map;
}

/**
 * The positional argument sequences the usage allows, one per alternative:
 * `dep add|remove PARENT CHILD` -> [['add|remove', 'PARENT', 'CHILD']]; options and their values
 * are left out, and so is everything after `--`.
 */
export function positionalPaths(usage: string): string[][] {
  const expand = (seq: Node[]): string[][] => {
    let paths: string[][] = [[]];
    for (let i = 0; i < seq.length; i++) {
      const n = seq[i]!;
      let add: string[][];
      if (n.t === 'word') {
        if (n.text === '--') break;
        if (isFlag(n.text)) {
          const next = seq[i + 1];
          if (next?.t === 'word' && isValueWord(next.text)) i++;
          continue;
        }
        add = [[n.text]];
      } else if (n.t === 'opt') {
        const first = n.items[0];
        if (first?.t === 'word' && first.text.startsWith('-')) continue;
        add = expand(n.items);
      } else add = n.branches.flatMap(expand);
      paths = paths.flatMap((p) => add.map((a) => [...p, ...a]));
    }
    return paths;
  };
  return expand(parseUsage(usage));
}

/** A literal word of the usage (`add|remove`, `move`) as opposed to a placeholder (`TAG`, `KEY=VALUE`). */
export const isLiteral = (slot: string): boolean => /^[a-z0-9.][a-z0-9.|-]*$/.test(slot);
