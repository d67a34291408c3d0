// HTML built by a tagged template that escapes every interpolated value: the report shows saved cases, and a
// case file is input from anyone (an operation name, a label, a message may hold `<script>`). Only fragments
// made by `html` itself (or `raw`, for the page's own constant CSS and script) are inserted unescaped.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for an element's content or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/** A fragment of markup that is already safe to insert. */
export class Html {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

/** What may be interpolated: text (escaped), a number, a fragment, a list of them, or nothing. */
export type Content = string | number | bigint | boolean | Html | null | undefined | readonly Content[];

function render(value: Content): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.markup;
  if (Array.isArray(value)) return (value as readonly Content[]).map(render).join('');
  return escapeHtml(String(value));
}

/** `html\`<td title="${t}">${x}</td>\``: every `${…}` escaped unless it is itself an Html fragment. */
export function html(strings: TemplateStringsArray, ...values: readonly Content[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

/** Constant markup written in this code base (the page's CSS and script); never for data. */
export function raw(markup: string): Html {
  return new Html(markup);
}
