// Postman's command-line runner, newman, running latch.postman_collection.json: one folder
// per dialect, each the whole sequence (token, register, login, status, an authenticated
// call, logout), with newman's own cookie jar, as a Postman user would run it.
//
// Usage: node newman_clients.mjs BASE_URL
// Prints one line per folder, `PASS newman <dialect>` or `FAIL newman <dialect>: …`, and
// exits 1 if any failed.

import { fileURLToPath } from "node:url";

import newman from "newman";

const base = process.argv[2].replace(/\/$/, "");
const collection = fileURLToPath(new URL("./latch.postman_collection.json", import.meta.url));

newman.run(
  { collection, envVar: [{ key: "baseUrl", value: base }], reporters: [] },
  (error, summary) => {
    if (error) {
      console.log(`FAIL newman collection: ${error.message}`);
      process.exit(1);
    }
    const problems = new Map();
    for (const folder of summary.collection.items.all()) {
      problems.set(folder.name, []);
    }
    for (const run of summary.run.executions) {
      const folder = run.item.parent().name;
      if (run.requestError) {
        problems.get(folder).push(`${run.item.name}: ${run.requestError.message}`);
      }
      for (const assertion of run.assertions ?? []) {
        if (assertion.error) {
          const answer = run.response
            ? ` (${run.response.code} ${run.response.text().slice(0, 200)})`
            : "";
          problems.get(folder).push(`${assertion.assertion}: ${assertion.error.message}${answer}`);
        }
      }
    }
    let failed = false;
    for (const [folder, list] of problems) {
      if (list.length === 0) {
        console.log(`PASS newman ${folder}`);
      } else {
        failed = true;
        console.log(`FAIL newman ${folder}: ${list[0]}`);
      }
    }
    process.exit(failed ? 1 : 0);
  },
);
