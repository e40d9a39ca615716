/**
 * CSV fields as RFC 4180 writes them: a field holding a comma, a double quote or a line break is put
 * in double quotes, a quote inside doubled. Used by the CLI's --format csv (src/cli-records.ts) and by
 * the training labels reader (train/data.ts). No dependencies.
 */

/** One field, quoted when it holds a comma, a quote or a line break. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Splits one record (its final line break removed) into its fields; a quoted field may hold line breaks. */
export function parseCsvRecord(record: string): string[] {
  if (!record.includes('"')) return record.split(',');
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < record.length; i++) {
    const ch = record[i];
    if (quoted) {
      if (ch !== '"') cur += ch;
      else if (record[i + 1] === '"') { cur += '"'; i++; }
      else quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { out.push(cur); cur = ''; }
    else cur += ch;
  }
  if (quoted) throw new Error('unterminated quoted field');
  out.push(cur);
  return out;
}
