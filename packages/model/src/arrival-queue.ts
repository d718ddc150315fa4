/**
 * Items in the order they arrived, the oldest taken in O(1): an array read from a moving head,
 * compacted once most of it has been taken. For bounded stores that evict oldest-first and
 * delete nothing else, where asking a Map for its first key would walk every slot its earlier
 * deletions left behind.
 */
export class ArrivalQueue<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** Takes the oldest item; undefined when empty. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++]!;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
