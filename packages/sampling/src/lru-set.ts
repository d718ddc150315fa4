interface Node<K, V> {
  key: K;
  value: V;
  /** Towards the least recently used end. */
  older: Node<K, V> | undefined;
  /** Towards the most recently used end. */
  newer: Node<K, V> | undefined;
}

/**
 * A bounded map that forgets its least recently used entry when full. The recency order is a
 * linked list beside the Map rather than the Map's own insertion order: finding a Map's first
 * key walks every slot its deletions left behind, which at 100,000 entries under churn costs
 * over 100 µs per insert; the list makes every operation O(1).
 */
export class LruMap<K, V> {
  private readonly entries = new Map<K, Node<K, V>>();
  private oldest: Node<K, V> | undefined;
  private newest: Node<K, V> | undefined;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    const node = this.entries.get(key);
    if (node === undefined) return undefined;
    this.unlink(node);
    this.append(node);
    return node.value;
  }

  peek(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  set(key: K, value: V): void {
    if (this.capacity <= 0) return;
    const existing = this.entries.get(key);
    if (existing !== undefined) {
      existing.value = value;
      this.unlink(existing);
      this.append(existing);
      return;
    }
    const node: Node<K, V> = { key, value, older: undefined, newer: undefined };
    this.entries.set(key, node);
    this.append(node);
    if (this.entries.size > this.capacity) {
      const oldest = this.oldest!;
      this.unlink(oldest);
      this.entries.delete(oldest.key);
    }
  }

  delete(key: K): boolean {
    const node = this.entries.get(key);
    if (node === undefined) return false;
    this.unlink(node);
    return this.entries.delete(key);
  }

  private append(node: Node<K, V>): void {
    node.older = this.newest;
    node.newer = undefined;
    if (this.newest === undefined) this.oldest = node;
    else this.newest.newer = node;
    this.newest = node;
  }

  private unlink(node: Node<K, V>): void {
    if (node.older === undefined) this.oldest = node.newer;
    else node.older.newer = node.newer;
    if (node.newer === undefined) this.newest = node.older;
    else node.newer.older = node.older;
    node.older = undefined;
    node.newer = undefined;
  }
}
