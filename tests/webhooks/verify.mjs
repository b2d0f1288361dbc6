// Verifies webhook deliveries with the official Standard Webhooks library
// (npm `standardwebhooks`, pinned in package.json / package-lock.json and
// installed by scripts/setup), independently of the server's own code.
//
// stdin: one JSON object per line, {"secret": "whsec_…", "headers": {name:
// value, …}, "body": "<the request body, exactly as received>"}.
// stdout: one line per input line, in order: `ok` when Webhook.verify()
// accepts the delivery, else the error it threw (e.g. "No matching signature
// found", "Message timestamp too old"). Exit status 0 unless stdin itself is
// unreadable; a line that is not such an object prints its parse error.
import { createInterface } from "node:readline";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { Webhook } = require("standardwebhooks");

function verifyOne(line) {
  let input;
  try {
    input = JSON.parse(line);
  } catch (e) {
    return `bad input: ${e.message}`;
  }
  if (typeof input !== "object" || input === null || typeof input.secret !== "string" ||
      typeof input.headers !== "object" || input.headers === null || typeof input.body !== "string") {
    return "bad input: want {secret: string, headers: object, body: string}";
  }
  try {
    new Webhook(input.secret).verify(input.body, input.headers);
    return "ok";
  } catch (e) {
    return `${e.name || "Error"}: ${e.message}`;
  }
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (line.trim() === "") continue;
  process.stdout.write(verifyOne(line).replace(/[\r\n]+/g, " ") + "\n");
}
