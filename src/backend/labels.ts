// Class names embedded in the generated C (`<prefix>_labels[]`, `<PREFIX>_NUM_CLASSES`): from a text file (one
// name a line, `--labels FILE`) or from the ONNX model's metadata_props, where exporters write them as a JSON
// list, a JSON object {"0": "cat", …} (QGIS Deepness' `class_names`) or a Python dict repr {0: 'cat', …}
// (Ultralytics' `names`). The count must equal the classes of the first output.
import { fail } from '../errors.js';

export interface Labels {
  readonly names: readonly string[];
  /** where they come from, for the header's comment and the errors: "--labels classes.txt", "metadata_props 'names'" */
  readonly source: string;
}

/** The metadata_props keys read for class names, in this order. */
export const LABEL_KEYS = ['labels', 'class_names', 'names', 'classes', 'class_labels'] as const;

/** A name at most: a label is for a log line or a display, not a document. */
const MAX_LABEL = 200;

/** The names of a labels file: one a line (LF or CRLF), trailing empty lines ignored, no empty name between. */
export function parseLabelsText(text: string, source: string): Labels {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (!lines.length) fail('BNNC_E151', `${source}: no class names (one name a line)`);
  lines.forEach((l, i) => {
    if (l.trim() === '') fail('BNNC_E151', `${source}: line ${i + 1} is empty; one class name a line`);
    if (l.length > MAX_LABEL) fail('BNNC_E151', `${source}: line ${i + 1} is ${l.length} characters long; a class name has at most ${MAX_LABEL}`);
  });
  return { names: lines, source };
}

/** Class names from metadata_props (the first of LABEL_KEYS present), or undefined when none is. */
export function labelsFromMetadata(props: ReadonlyMap<string, string>): Labels | undefined {
  const key = LABEL_KEYS.find((k) => props.has(k));
  if (key === undefined) return undefined;
  const source = `metadata_props '${key}'`;
  const text = props.get(key)!.trim();
  if (!/^[[{]/.test(text)) return parseLabelsText(text, source);
  let v: unknown;
  try {
    v = parseLiteral(text);
  } catch (e) {
    fail('BNNC_E152', `${source}: ${(e as Error).message}; expected a list of names, a {index: name} object, or one name a line`);
  }
  let names: unknown[];
  if (Array.isArray(v)) names = v;
  else {
    const entries = [...(v as Map<string, unknown>)];
    const idx = entries.map(([k]) => Number(k));
    if (!idx.every((n, i) => n === i)) fail('BNNC_E152', `${source}: the indices are ${idx.slice(0, 8).join(', ')}${idx.length > 8 ? ', …' : ''}; expected 0, 1, 2, … in order`);
    names = entries.map(([, n]) => n);
  }
  if (!names.every((n): n is string => typeof n === 'string')) fail('BNNC_E152', `${source}: every class name must be a string`);
  return parseLabelsText(names.map((n) => n.replace(/[\r\n]+/g, ' ')).join('\n'), source);
}

/** The count of names must be the count of the first output's values (the classes argmax picks from). */
export function checkLabels(l: Labels, classes: number): void {
  if (l.names.length !== classes) {
    fail('BNNC_E150', `${l.source} holds ${l.names.length} class names, but the model's first output has ${classes} values (classes)`);
  }
}

/** A C string literal's body: printable ASCII kept, `"`, `\` and `?` (trigraphs) and every other byte of the UTF-8 as octal escapes. */
export function cStringBody(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    out += b >= 0x20 && b <= 0x7e && b !== 0x22 && b !== 0x5c && b !== 0x3f ? String.fromCharCode(b) : `\\${b.toString(8).padStart(3, '0')}`;
  }
  return out;
}

/**
 * A JSON value or a Python literal of lists, dicts, strings (single or double quotes, backslash escapes) and
 * integers: what exporters write into metadata_props; a dict becomes a Map. Throws an Error with the offset on
 * anything else.
 */
function parseLiteral(text: string): unknown {
  let i = 0;
  const ws = () => { while (i < text.length && /\s/.test(text[i])) i++; };
  const err = (what: string): never => { throw new Error(`${what} at character ${i + 1}`); };
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === '[' || c === '(') {
      const close = c === '[' ? ']' : ')';
      i++;
      const list: unknown[] = [];
      for (ws(); text[i] !== close; ws()) {
        list.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== close) err(`expected ',' or '${close}'`);
      }
      i++;
      return list;
    }
    if (c === '{') {
      i++;
      const obj = new Map<string, unknown>(); // in the file's order (an object would sort integer keys)
      for (ws(); text[i] !== '}'; ws()) {
        const k = value();
        if (typeof k !== 'string' && typeof k !== 'number') err('expected a string or integer key');
        ws();
        if (text[i++] !== ':') err("expected ':'");
        obj.set(String(k), value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') err("expected ',' or '}'");
      }
      i++;
      return obj;
    }
    if (c === '"' || c === "'") {
      i++;
      let s = '';
      while (text[i] !== c) {
        if (i >= text.length) err('unterminated string');
        if (text[i] === '\\') {
          const e = text[i + 1];
          const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", '/': '/', b: '\b', f: '\f' };
          if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) { s += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16)); i += 6; continue; }
          if (!(e in simple)) err(`unknown escape '\\${e}'`);
          s += simple[e];
          i += 2;
          continue;
        }
        s += text[i++];
      }
      i++;
      return s;
    }
    const m = /^-?\d+/.exec(text.slice(i));
    if (m) { i += m[0].length; return Number(m[0]); }
    return err('expected a list, a dict, a string or an integer');
  };
  const v = value();
  ws();
  if (i !== text.length) err('unexpected text after the value');
  return v;
}
