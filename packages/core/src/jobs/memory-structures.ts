/** A sorted set like Redis's ZSET (score, then member order); enough for the memory job store. */
export class SortedSet {
  private readonly entries: Array<{ score: number; member: string }> = [];
  private readonly scores = new Map<string, number>();

  get size(): number {
    return this.entries.length;
  }

  score(member: string): number | undefined {
    return this.scores.get(member);
  }

  add(member: string, score: number): void {
    if (this.scores.has(member)) this.remove(member);
    this.scores.set(member, score);
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const entry = this.entries[mid] as { score: number; member: string };
      if (entry.score < score || (entry.score === score && entry.member < member)) low = mid + 1;
      else high = mid;
    }
    this.entries.splice(low, 0, { score, member });
  }

  remove(member: string): boolean {
    const score = this.scores.get(member);
    if (score === undefined) return false;
    this.scores.delete(member);
    const index = this.entries.findIndex((entry) => entry.member === member);
    if (index >= 0) this.entries.splice(index, 1);
    return true;
  }

  popMin(): string | undefined {
    const first = this.entries.shift();
    if (first) this.scores.delete(first.member);
    return first?.member;
  }

  first(): { score: number; member: string } | undefined {
    return this.entries[0];
  }

  upTo(maxScore: number, limit: number): string[] {
    const out: string[] = [];
    for (const entry of this.entries) {
      if (entry.score > maxScore || out.length >= limit) break;
      out.push(entry.member);
    }
    return out;
  }

  range(offset: number, count: number): string[] {
    return this.entries.slice(offset, offset + count).map((entry) => entry.member);
  }
}

/** A double-ended queue with O(1) push and shift, for waiting lists that can hold many jobs. */
export class Deque {
  private items: string[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: string): void {
    this.items.push(item);
  }

  unshift(item: string): void {
    if (this.head > 0) this.items[--this.head] = item;
    else this.items.unshift(item);
  }

  shift(): string | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++];
    // Compact now and then so a long-lived queue does not keep every item it ever held.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  remove(item: string): boolean {
    const index = this.items.indexOf(item, this.head);
    if (index < 0) return false;
    this.items.splice(index, 1);
    return true;
  }

  slice(offset: number, count: number): string[] {
    return this.items.slice(this.head + offset, this.head + offset + count);
  }
}
