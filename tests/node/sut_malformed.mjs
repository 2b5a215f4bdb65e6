// An answer service that breaks the contract on purpose, for the e2e test "gameday sut check
// fails a service whose responses break the schema ...": prior-auth answers have no "status",
// every other answer gives "citations" as a string instead of an array. It calls neither the
// vendor nor the EHR. No dependencies (node's own http).
//
// Listens on 127.0.0.1, an OS-assigned port, and prints "sut http://127.0.0.1:PORT" once
// listening.
import http from 'node:http';

const server = http.createServer((req, res) => {
  const reply = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    let task;
    try {
      task = JSON.parse(body);
    } catch {
      return reply(400, { error: { message: 'body is not JSON' } });
    }
    if (!task.task_type || !task.patient) {
      return reply(400, { error: { message: 'task_type and patient are required', field: 'task_type' } });
    }
    if (task.task_type === 'prior_auth_status') {
      return reply(200, { answer: 'Approved. [doc:pa-000001]', citations: ['pa-000001'] });
    }
    reply(200, { status: 'ok', answer: 'See the record. [doc:x]', citations: 'x' });
  });
});

server.listen(0, '127.0.0.1', () => {
  console.log(`sut http://127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
