// What the client scripts share: failing with a message, checks, expected errors, SDK error
// headers, and the control API.

// Returns fail(message) (prints "<name>: message" on stderr and exits 1),
// check(condition, message) (fails unless condition holds) and thrown(fn, what) (awaits fn,
// which must throw, and returns the error; fails naming `what` when it succeeds).
export function checks(name) {
  const fail = (message) => {
    console.error(`${name}: ${message}`);
    process.exit(1);
  };
  const check = (condition, message) => {
    if (!condition) fail(message);
  };
  const thrown = async (fn, what) => {
    try {
      await fn();
    } catch (e) {
      return e;
    }
    return fail(`${what}: expected an error, got a success`);
  };
  return { fail, check, thrown };
}

// A response header of an SDK error (a Headers object in openai 5+ and @anthropic-ai/sdk, a
// plain object in older SDKs).
export function header(e, name) {
  return typeof e?.headers?.get === 'function' ? e.headers.get(name) : e?.headers?.[name];
}

// Returns control(method, path, body): a control API request that must succeed (else `fail`).
export function controlApi(controlUrl, fail) {
  return async (method, path, body) => {
    const res = await fetch(controlUrl + path, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) fail(`control API ${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  };
}
