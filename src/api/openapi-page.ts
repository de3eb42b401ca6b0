// The /openapi page: self-contained (no CDN, no external script or style), so it works on a
// machine without internet. It fetches the JSON document and lists every route with its summary.

export const OPENAPI_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>YAKt API</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #ddd; vertical-align: top; }
code { font-family: ui-monospace, monospace; }
.m { font-weight: bold; text-transform: uppercase; width: 5rem; }
</style>
</head>
<body>
<h1>YAKt API</h1>
<p>The machine-readable document is at <a href="/openapi/json"><code>/openapi/json</code></a>.</p>
<table><thead><tr><th>method</th><th>path</th><th>tag</th><th>summary</th></tr></thead><tbody id="routes"></tbody></table>
<script>
fetch("/openapi/json").then(function (r) { return r.json(); }).then(function (doc) {
  var body = document.getElementById("routes");
  Object.keys(doc.paths).sort().forEach(function (path) {
    Object.keys(doc.paths[path]).forEach(function (method) {
      var op = doc.paths[path][method];
      var row = document.createElement("tr");
      [method, path, (op.tags || []).join(", "), op.summary || ""].forEach(function (text, i) {
        var cell = document.createElement("td");
        if (i === 0) cell.className = "m";
        if (i === 1) { var c = document.createElement("code"); c.textContent = text; cell.appendChild(c); }
        else cell.textContent = text;
        row.appendChild(cell);
      });
      body.appendChild(row);
    });
  });
}).catch(function (e) { document.getElementById("routes").textContent = "could not load /openapi/json: " + e; });
</script>
</body>
</html>
`;
