// The PostgreSQL fixture build's second thread (store-fixture.mjs): makes each chunk's decisions
// and context spans and prepares them for bulkLoadPostgres (validation, the records folded and
// rolled up, the rows as column texts), while the main thread has the server write the chunk
// before. Messages in: { start, end, decisions }; out: { start, prepared } or { start, error }.
import { parentPort } from 'node:worker_threads';
import { prepareBulkLoad } from '@decision-trace/store';
import { contextSpansOf, fixtureEvent } from './store-fixture.mjs';

parentPort.on('message', ({ start, end, decisions }) => {
  try {
    const events = [];
    const spans = [];
    for (let i = start; i < end; i++) {
      const event = fixtureEvent(i, decisions);
      events.push(event);
      spans.push(...contextSpansOf(event, i));
    }
    parentPort.postMessage({ start, prepared: prepareBulkLoad({ events, spans }) });
  } catch (error) {
    parentPort.postMessage({ start, error });
  }
});
