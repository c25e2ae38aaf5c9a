// Apply the saved theme before first paint to avoid a flash (a file, not inline, so the CSP needs no exception).
try {
  var t = localStorage.getItem("leadgen.theme");
  if (t === "light" || t === "dark") document.documentElement.dataset.theme = t;
} catch (e) {}
