import { EventQueue } from "./event-queue";

describe("EventQueue", () => {
  it("hands items to a waiting consumer in order, and ends after the queued ones", async () => {
    const queue = new EventQueue<number>();
    const first = queue.next();
    queue.push(1);
    queue.push(2);
    queue.end();
    expect(await first).toEqual({ value: 1, done: false });
    expect(await queue.next()).toEqual({ value: 2, done: false });
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });

  it("keeps at most `capacity` items for a slow consumer, dropping the oldest", async () => {
    const queue = new EventQueue<number>({ capacity: 3 });
    for (let i = 1; i <= 10; i++) queue.push(i);
    expect(queue.dropped).toBe(7);
    queue.end();
    const seen: number[] = [];
    for await (const item of queue) seen.push(item);
    expect(seen).toEqual([8, 9, 10]);
  });

  it("fails the iteration instead with overflow: error", async () => {
    const queue = new EventQueue<number>({ capacity: 2, overflow: "error" });
    for (let i = 0; i < 3; i++) queue.push(i);
    await expect(queue.next()).rejects.toThrow(/fell more than 2 events behind/);
  });

  it("calls onClose once when the consumer stops, and ignores later pushes", async () => {
    let closed = 0;
    const queue = new EventQueue<number>({ onClose: () => closed++ });
    await queue.return();
    await queue.return();
    queue.push(1);
    expect(closed).toBe(1);
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });
});
