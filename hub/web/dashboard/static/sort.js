// Click a column heading of a .sortable table to sort its rows by that column (again: reverse).
document.addEventListener("click", (event) => {
  const th = event.target.closest("table.sortable th");
  if (!th) return;
  const table = th.closest("table");
  const index = Array.from(th.parentNode.children).indexOf(th);
  const body = table.tBodies[0];
  const descending = th.dataset.order !== "desc";
  th.dataset.order = descending ? "desc" : "asc";
  const value = (row) => {
    const cell = row.children[index];
    const text = (cell.dataset.value ?? cell.textContent).trim()
      .replace(/[۰-۹]/g, (d) => "۰۱۲۳۴۵۶۷۸۹".indexOf(d));
    const number = parseFloat(text);
    return Number.isNaN(number) ? text : number;
  };
  const rows = Array.from(body.rows).sort((a, b) => {
    const x = value(a), y = value(b);
    const order = x < y ? -1 : x > y ? 1 : 0;
    return descending ? -order : order;
  });
  rows.forEach((row) => body.appendChild(row));
});
