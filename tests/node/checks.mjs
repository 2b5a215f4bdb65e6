// What the client scripts share: failing with a message, checks, and the control API.

// Returns fail(message) (prints "<name>: message" on stderr and exits 1) and
// check(condition, message) (fails unless condition holds).
export function checks(name) {
  const fail = (message) => {
    console.error(`${name}: ${message}`);
    process.exit(1);
  };
  const check = (condition, message) => {
    if (!condition) fail(message);
  };
  return { fail, check };
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
