import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { GroupCommit, type CallOutcome } from '../src/group-commit.js';

/** The group commit every store uses (group-commit.ts), with a commit function that records its groups. */

/** A commit whose promise the test settles: the groups it was given, and how to end each. */
function manualCommits() {
  const groups: string[][] = [];
  const ends: Array<{ resolve(outcomes: CallOutcome<string>[]): void; reject(error: unknown): void }> = [];
  const commit = (calls: string[]): Promise<CallOutcome<string>[]> => {
    groups.push([...calls]);
    return new Promise((resolve, reject) => ends.push({ resolve, reject }));
  };
  const commitAll = (i: number): void => ends[i]!.resolve(groups[i]!.map((call) => ({ result: `ok:${call}` })));
  return { groups, ends, commit, commitAll };
}

test('calls of one turn commit as one group, each resolving with its own result', async () => {
  const groups: string[][] = [];
  const commits = new GroupCommit<string, string>({
    commit: (calls) => {
      groups.push([...calls]);
      return calls.map((call) => ({ result: `ok:${call}` }));
    },
    maxInFlight: 1,
    retryRejectedAlone: true,
  });
  const results = await Promise.all([commits.add('a'), commits.add('b'), commits.add('c')]);
  assert.deepEqual(results, ['ok:a', 'ok:b', 'ok:c']);
  assert.deepEqual(groups, [['a', 'b', 'c']]);
  assert.equal(await commits.add('d'), 'ok:d');
  assert.deepEqual(groups, [['a', 'b', 'c'], ['d']]);
});

test('a group refused as a whole is tried call by call, so only the bad call fails', async () => {
  const groups: string[][] = [];
  const commits = new GroupCommit<string, string>({
    commit: (calls) => {
      groups.push([...calls]);
      if (calls.includes('bad')) throw new Error('refused');
      return calls.map((call) => ({ result: call }));
    },
    maxInFlight: 1,
    retryRejectedAlone: false,
  });
  const settled = await Promise.allSettled([commits.add('a'), commits.add('bad'), commits.add('c')]);
  assert.deepEqual(
    settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message)),
    ['a', 'refused', 'c'],
  );
  assert.deepEqual(groups, [['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
  // A group of one is not tried again.
  await assert.rejects(commits.add('bad'), /refused/);
  assert.deepEqual(groups.at(-1), ['bad']);
  assert.equal(groups.length, 5);
});

test('one outcome per call: a call failing in the commit fails alone', async () => {
  const commits = new GroupCommit<string, string>({
    commit: (calls) => calls.map((call) => (call === 'bad' ? { error: new TypeError('bad event') } : { result: call })),
    maxInFlight: 1,
    retryRejectedAlone: true,
  });
  const settled = await Promise.allSettled([commits.add('a'), commits.add('bad')]);
  assert.equal(settled[0].status, 'fulfilled');
  assert.ok(settled[1].status === 'rejected' && settled[1].reason instanceof TypeError);
});

test('at most maxInFlight groups commit at once; calls made meanwhile wait, then go as one group', async () => {
  const { groups, commit, commitAll } = manualCommits();
  const commits = new GroupCommit<string, string>({ commit, maxInFlight: 2, retryRejectedAlone: false });
  const first = commits.add('a');
  await nextTurn();
  const second = commits.add('b');
  await nextTurn();
  assert.deepEqual(groups, [['a'], ['b']]);
  assert.equal(commits.inFlight, 2);
  const waiting = [commits.add('c'), commits.add('d')];
  await nextTurn();
  await nextTurn();
  assert.equal(groups.length, 2, 'no third group while two are in flight');
  commitAll(0);
  assert.equal(await first, 'ok:a');
  // The end of a group sends the next at the end of that turn, so that the turn's calls join it.
  await nextTurn();
  await nextTurn();
  assert.deepEqual(groups[2], ['c', 'd']);
  commitAll(1);
  commitAll(2);
  assert.deepEqual(await Promise.all([second, ...waiting]), ['ok:b', 'ok:c', 'ok:d']);
});

test('a rejected group is tried call by call, one after the other, when retryRejectedAlone', async () => {
  const { groups, ends, commit, commitAll } = manualCommits();
  const commits = new GroupCommit<string, string>({ commit, maxInFlight: 1, retryRejectedAlone: true });
  const calls = Promise.allSettled([commits.add('a'), commits.add('b')]);
  await nextTurn();
  ends[0]!.reject(new Error('transaction failed'));
  await nextTurn();
  assert.deepEqual(groups, [['a', 'b'], ['a']], 'the second call waits for the first one alone');
  ends[1]!.reject(new Error('a is bad'));
  await nextTurn();
  assert.deepEqual(groups, [['a', 'b'], ['a'], ['b']]);
  commitAll(2);
  const settled = await calls;
  assert.ok(settled[0].status === 'rejected' && (settled[0].reason as Error).message === 'a is bad');
  assert.ok(settled[1].status === 'fulfilled' && settled[1].value === 'ok:b');
});

test('without retryRejectedAlone a rejected group fails each of its calls with that error, committing nothing again', async () => {
  const { groups, ends, commit } = manualCommits();
  const commits = new GroupCommit<string, string>({ commit, maxInFlight: 2, retryRejectedAlone: false });
  const calls = [commits.add('a'), commits.add('b')];
  await nextTurn();
  ends[0]!.reject(new Error('worker stopped'));
  const settled = await Promise.allSettled(calls);
  assert.deepEqual(
    settled.map((s) => s.status === 'rejected' && (s.reason as Error).message),
    ['worker stopped', 'worker stopped'],
  );
  assert.equal(groups.length, 1);
});

test('flush with evenAtLimit sends the waiting calls past the limit; drained waits for every group', async () => {
  const { groups, commit, commitAll } = manualCommits();
  const commits = new GroupCommit<string, string>({ commit, maxInFlight: 1, retryRejectedAlone: false });
  const first = commits.add('a');
  await nextTurn();
  const second = commits.add('b');
  commits.flush();
  assert.equal(groups.length, 1, 'a plain flush waits for the group in flight');
  commits.flush({ evenAtLimit: true });
  assert.deepEqual(groups, [['a'], ['b']]);
  let drained = false;
  const draining = commits.drained().then(() => (drained = true));
  commitAll(0);
  await first;
  await nextTurn();
  assert.equal(drained, false, 'one group is still committing');
  commitAll(1);
  await second;
  await draining;
  assert.equal(drained, true);
  await commits.drained();
});
