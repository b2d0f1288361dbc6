#!/usr/bin/env node
// Opens one URL in an already-running headless Chromium at a given viewport
// width and prints ONE JSON object on stdout: what the page requested, every
// Content-Security-Policy violation, console messages and exceptions, the
// layout facts (horizontal scrolling), a few facts about the link page, the
// values of --eval expressions, and, with --screenshot, a full-page PNG.
//
//   node open_page.mjs --port PORT --url URL --width W [--height H]
//        [--mobile | --desktop] [--screenshot OUT.png] [--inject FILE]...
//        [--eval NAME=EXPRESSION]... [--timeout MS] [--settle MS]
//
// PORT is Chromium's DevTools port (--remote-debugging-port). Each run gets a
// fresh browser context (no cookies, no cache) and closes it at the end, so
// runs against one Chromium do not see each other. --inject files are
// evaluated in the page after load, then every --eval expression (it may
// return a promise); both go through Runtime.evaluate, which the page's CSP
// does not restrict, so a script such as axe-core can be injected into a page
// whose CSP forbids every script.
//
// CSP violations are collected from four places, since Chromium reports them
// in more than one: DevTools issues (Audits.issueAdded,
// ContentSecurityPolicyIssue), Log entries and console messages that mention
// the Content Security Policy, and `securitypolicyviolation` events caught by a
// listener that DevTools installs before any of the page's own code runs.
//
// Exit status: 0 with the JSON on stdout; 1 when the page could not be opened
// (the JSON then has "error"); 2 on bad arguments; 3 when the whole run took
// longer than --timeout (nothing is left waiting: the process exits).

import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import CDP from 'chrome-remote-interface';

const USAGE =
  'usage: open_page.mjs --port PORT --url URL --width W [--height H] [--mobile|--desktop] ' +
  '[--screenshot OUT.png] [--inject FILE]... [--eval NAME=EXPR]... [--timeout MS] [--settle MS]';

function die(message, code = 2) {
  process.stderr.write(`open_page: ${message}\n${USAGE}\n`);
  process.exit(code);
}

function intOption(values, name, fallback, min, max) {
  const raw = values[name];
  if (raw === undefined) {
    if (fallback === undefined) die(`--${name} is required`);
    return fallback;
  }
  if (!/^\d+$/.test(raw)) die(`--${name} must be a whole number, not ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (n < min || n > max) die(`--${name} must be between ${min} and ${max}`);
  return n;
}

function parseOptions(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        url: { type: 'string' },
        width: { type: 'string' },
        height: { type: 'string' },
        mobile: { type: 'boolean' },
        desktop: { type: 'boolean' },
        screenshot: { type: 'string' },
        inject: { type: 'string', multiple: true },
        eval: { type: 'string', multiple: true },
        timeout: { type: 'string' },
        settle: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    die(e.message);
  }
  const v = parsed.values;
  if (!v.url) die('--url is required');
  if (v.mobile && v.desktop) die('--mobile and --desktop exclude each other');
  const width = intOption(v, 'width', undefined, 200, 4000);
  // A phone-sized viewport is emulated as a phone (meta viewport honoured,
  // touch-sized layout), unless told otherwise.
  const mobile = v.mobile ? true : v.desktop ? false : width < 768;
  const evals = [];
  for (const item of v.eval ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) die(`--eval takes NAME=EXPRESSION, not ${JSON.stringify(item)}`);
    evals.push({ name: item.slice(0, eq), expression: item.slice(eq + 1) });
  }
  return {
    host: v.host ?? '127.0.0.1',
    port: intOption(v, 'port', undefined, 1, 65535),
    url: v.url,
    width,
    height: intOption(v, 'height', mobile ? 844 : 900, 200, 10000),
    mobile,
    screenshot: v.screenshot ?? null,
    inject: v.inject ?? [],
    evals,
    timeout: intOption(v, 'timeout', 30000, 1000, 600000),
    settle: intOption(v, 'settle', 300, 0, 10000),
  };
}

// Rejects with `what` if `promise` has not settled within `ms`.
function within(ms, what, promise) {
  let timer;
  const expiry = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, expiry]).finally(() => clearTimeout(timer));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const CSP_TEXT = /content[- ]security[- ]policy/i;

// Installed before the page's own code; DevTools scripts are not subject to
// the page's CSP. Kept on a non-enumerable global the page is unlikely to use.
const VIOLATION_LISTENER = `(() => {
  const seen = [];
  Object.defineProperty(window, '__rsCspViolations', { value: seen });
  document.addEventListener('securitypolicyviolation', (e) => {
    seen.push({ directive: e.effectiveDirective || e.violatedDirective, blocked_url: e.blockedURI,
                disposition: e.disposition, source_file: e.sourceFile, line: e.lineNumber });
  }, true);
})();`;

// Facts about the page once loaded; one evaluation, returned by value.
const FACTS = `(() => {
  const html = document.documentElement;
  const links = [...document.querySelectorAll('a[href]')];
  return {
    title: document.title,
    lang: html.getAttribute('lang'),
    dir: html.getAttribute('dir'),
    computed_direction: getComputedStyle(html).direction,
    download_links: document.querySelectorAll('a.download').length,
    pdf_links: links.filter((a) => /[?&]format=pdf(&|$)/.test(a.getAttribute('href'))).length,
    lang_links: links.map((a) => a.getAttribute('href')).filter((h) => h.startsWith('?lang=')),
    layout: {
      scroll_width: html.scrollWidth,
      client_width: html.clientWidth,
      inner_width: window.innerWidth,
      scroll_height: html.scrollHeight,
      body_scroll_width: document.body ? document.body.scrollWidth : null,
    },
    overflowing: html.scrollWidth > html.clientWidth ? overflowing(html.clientWidth) : [],
    violations: window.__rsCspViolations ? [...window.__rsCspViolations] : null,
  };
  // The innermost elements that stick out of the layout viewport, or whose
  // unbroken content does, to tell a failing test where the horizontal
  // scrolling comes from.
  function overflowing(width) {
    const sticksOut = (el) => {
      const r = el.getBoundingClientRect();
      if (r.right > width + 0.5 || r.left < -0.5) return true;
      return r.left + el.scrollWidth > width + 0.5 && getComputedStyle(el).overflowX === 'visible';
    };
    const out = [];
    for (const el of document.body ? document.body.querySelectorAll('*') : []) {
      if (!sticksOut(el) || [...el.children].some(sticksOut)) continue;
      const r = el.getBoundingClientRect();
      const cls = el.getAttribute('class');
      out.push({ element: el.tagName.toLowerCase() + (cls ? '.' + cls.trim().split(/\\s+/).join('.') : ''),
                 left: Math.round(r.left), right: Math.round(r.left + Math.max(r.width, el.scrollWidth)),
                 text: (el.textContent || '').trim().slice(0, 40) });
      if (out.length >= 10) break;
    }
    return out;
  }
})()`;

function remoteValueText(obj) {
  if (!obj) return '';
  if (obj.type === 'string') return obj.value;
  if (obj.value !== undefined) return String(obj.value);
  return obj.description ?? obj.type;
}

async function evaluate(page, expression, what) {
  const { result, exceptionDetails } = await page.Runtime.evaluate({
    expression,
    returnByValue: true,
    awaitPromise: true,
  });
  if (exceptionDetails) {
    const text = exceptionDetails.exception?.description ?? exceptionDetails.text;
    throw new Error(`${what} threw: ${text}`);
  }
  return result.value;
}

async function run(opts, out, cleanups) {
  // The protocol description is fetched from this very Chromium once and
  // used for both connections.
  const { browser, protocol } = await within(10000, 'connecting to the browser', (async () => {
    const where = { host: opts.host, port: opts.port };
    const [version, protocol] = await Promise.all([CDP.Version(where), CDP.Protocol(where)]);
    return { browser: await CDP({ ...where, protocol, target: version.webSocketDebuggerUrl }), protocol };
  })());
  cleanups.push(() => browser.close());

  const { browserContextId } = await browser.Target.createBrowserContext({ disposeOnDetach: true });
  cleanups.push(() => browser.Target.disposeBrowserContext({ browserContextId }));
  const { targetId } = await browser.Target.createTarget({ url: 'about:blank', browserContextId });
  cleanups.push(() => browser.Target.closeTarget({ targetId }));

  const page = await within(10000, 'attaching to the new page', CDP({ host: opts.host, port: opts.port, protocol, target: targetId }));
  cleanups.push(() => page.close());

  const violations = [];
  const requests = [];          // every request, in the order sent (a redirect adds one)
  const byId = new Map();       // requestId -> its latest entry in `requests`
  const inFlight = new Set();
  let lastNetworkEvent = Date.now();
  let mainRequestId = null;

  page.Network.requestWillBeSent(({ requestId, request, type, redirectResponse }) => {
    lastNetworkEvent = Date.now();
    if (redirectResponse && byId.has(requestId)) byId.get(requestId).status = redirectResponse.status;
    const entry = { url: request.url, method: request.method, type: type ?? null,
                    status: null, blocked: null, failed: null };
    requests.push(entry);
    byId.set(requestId, entry);
    if (mainRequestId === null && type === 'Document') mainRequestId = requestId;
    inFlight.add(requestId);
  });
  page.Network.responseReceived(({ requestId, response }) => {
    lastNetworkEvent = Date.now();
    const entry = byId.get(requestId);
    if (entry) {
      entry.status = response.status;
      entry.mime = response.mimeType;
    }
  });
  page.Network.loadingFinished(({ requestId }) => {
    lastNetworkEvent = Date.now();
    inFlight.delete(requestId);
  });
  page.Network.loadingFailed(({ requestId, errorText, blockedReason }) => {
    lastNetworkEvent = Date.now();
    inFlight.delete(requestId);
    const entry = byId.get(requestId);
    if (entry) {
      entry.failed = errorText ?? 'failed';
      entry.blocked = blockedReason ?? null;
    }
  });

  page.Log.entryAdded(({ entry }) => {
    out.log.push({ source: entry.source, level: entry.level, text: entry.text, url: entry.url ?? null });
    if (CSP_TEXT.test(entry.text)) violations.push({ via: 'log', text: entry.text, url: entry.url ?? null });
  });
  page.Runtime.consoleAPICalled(({ type, args }) => {
    const text = args.map(remoteValueText).join(' ');
    out.console.push({ type, text });
    if (CSP_TEXT.test(text)) violations.push({ via: 'console', text });
  });
  page.Runtime.exceptionThrown(({ exceptionDetails }) => {
    const text = exceptionDetails.exception?.description ?? exceptionDetails.text;
    out.exceptions.push(text);
    if (CSP_TEXT.test(text)) violations.push({ via: 'exception', text });
  });
  page.Audits.issueAdded(({ issue }) => {
    out.issues.push(issue.code);
    if (issue.code === 'ContentSecurityPolicyIssue') {
      const d = issue.details?.contentSecurityPolicyIssueDetails ?? {};
      violations.push({ via: 'issue', directive: d.violatedDirective ?? null,
                        blocked_url: d.blockedURL ?? null, kind: d.contentSecurityPolicyViolationType ?? null,
                        report_only: d.isReportOnly ?? false });
    }
  });

  await within(10000, 'enabling DevTools domains', Promise.all([
    page.Page.enable(),
    page.Network.enable(),
    page.Network.setCacheDisabled({ cacheDisabled: true }),
    page.Log.enable(),
    page.Runtime.enable(),
    page.Audits.enable(),
    page.Page.addScriptToEvaluateOnNewDocument({ source: VIOLATION_LISTENER }),
    page.Emulation.setDeviceMetricsOverride({
      width: opts.width, height: opts.height, deviceScaleFactor: 1, mobile: opts.mobile,
    }),
  ]));
  out.viewport = { width: opts.width, height: opts.height, mobile: opts.mobile };

  const loaded = page.Page.loadEventFired();
  const nav = await within(15000, `navigating to ${opts.url}`, page.Page.navigate({ url: opts.url }));
  if (nav.errorText) throw new Error(`navigation to ${opts.url} failed: ${nav.errorText}`);
  await within(15000, `the load event of ${opts.url}`, loaded);

  // Settle: late requests (lazy images, fonts) and violations reported after
  // load. Bounded: at most 10 quiet periods.
  const settleUntil = Date.now() + Math.max(opts.settle * 10, 1000);
  await sleep(opts.settle);
  while ((inFlight.size > 0 || Date.now() - lastNetworkEvent < opts.settle) && Date.now() < settleUntil) {
    await sleep(50);
  }
  out.pending_requests = [...inFlight].map((id) => byId.get(id)?.url ?? id);

  const facts = await within(10000, 'reading the page facts', evaluate(page, FACTS, 'the page facts'));
  for (const v of facts.violations ?? []) violations.push({ via: 'event', ...v });
  if (facts.violations === null) out.warnings.push('the securitypolicyviolation listener was not installed');
  delete facts.violations;
  Object.assign(out, facts);
  out.horizontal_scroll = facts.layout.scroll_width > facts.layout.client_width;

  const main = mainRequestId !== null ? byId.get(mainRequestId) : null;
  out.status = main?.status ?? null;
  out.final_url = await evaluate(page, 'location.href', 'location.href');
  out.requests = requests;
  out.csp_violations = violations;

  for (const file of opts.inject) {
    await within(opts.timeout, `injecting ${file}`, evaluate(page, readFileSync(file, 'utf8'), file));
  }
  for (const { name, expression } of opts.evals) {
    out.evals[name] = await within(opts.timeout, `--eval ${name}`, evaluate(page, expression, `--eval ${name}`));
  }

  if (opts.screenshot) {
    const { cssContentSize } = await page.Page.getLayoutMetrics();
    const shot = await within(20000, 'the screenshot', page.Page.captureScreenshot({
      format: 'png',
      captureBeyondViewport: true,
      clip: { x: 0, y: 0, width: Math.ceil(cssContentSize.width), height: Math.ceil(cssContentSize.height), scale: 1 },
    }));
    writeFileSync(opts.screenshot, Buffer.from(shot.data, 'base64'));
    out.screenshot = opts.screenshot;
  }
}

async function main() {
  const opts = parseOptions(process.argv.slice(2));
  const out = {
    url: opts.url, final_url: null, status: null, viewport: null, requests: [], pending_requests: [],
    csp_violations: [], console: [], exceptions: [], log: [], issues: [], warnings: [], evals: {},
    screenshot: null,
  };
  const watchdog = setTimeout(() => {
    process.stderr.write(`open_page: gave up after ${opts.timeout} ms on ${opts.url}\n`);
    process.stdout.write(`${JSON.stringify({ ...out, error: `timed out after ${opts.timeout} ms` })}\n`);
    process.exit(3);
  }, opts.timeout);

  const cleanups = [];
  let code = 0;
  try {
    await run(opts, out, cleanups);
  } catch (e) {
    out.error = e.message;
    code = 1;
  }
  // Last in, first out: the page connection, the target, the context, the browser connection.
  for (const cleanup of cleanups.reverse()) {
    try {
      await within(5000, 'cleaning up', Promise.resolve().then(cleanup));
    } catch (e) {
      out.warnings.push(`cleanup: ${e.message}`);
    }
  }
  clearTimeout(watchdog);
  process.stdout.write(`${JSON.stringify(out)}\n`, () => process.exit(code));
}

main();
