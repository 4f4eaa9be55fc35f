// CSV the spreadsheet opens safely: a leading =, +, - or @ would run as a formula, so such a cell is
// quoted with an apostrophe (numbers stay numbers).
export function csvCell(v: unknown): string {
  const s = v == null ? "" : String(v);
  const safe = /^[=+\-@]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function saveFile(name: string, content: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  Object.assign(document.createElement("a"), { href: url, download: name }).click();
  URL.revokeObjectURL(url);
}

export function downloadCsv(name: string, columns: string[], rows: Record<string, unknown>[]): void {
  const lines = [columns.join(","), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(","))];
  saveFile(name, lines.join("\r\n") + "\r\n", "text/csv");
}
