// Debug-build argument checks. Every helper compiles to nothing when the module is
// built with --noAssert (ASC_NO_ASSERT), so release builds carry no checks, no
// strings and therefore no data segment.

/** Asserts that `n` f32 elements at byte offset `ptr` are 4-byte aligned and inside memory. */
@inline export function checkF32(ptr: usize, n: i32, what: string): void {
  if (!ASC_NO_ASSERT) {
    assert((ptr & 3) == 0, what);
    assert(n >= 0, what);
    assert(ptr + (<usize>n << 2) <= (<usize>memory.size() << 16), what);
  }
}

/** Asserts that `n` bytes at byte offset `ptr` are inside memory. */
@inline export function checkU8(ptr: usize, n: i32, what: string): void {
  if (!ASC_NO_ASSERT) {
    assert(n >= 0, what);
    assert(ptr + <usize>n <= (<usize>memory.size() << 16), what);
  }
}

/** Asserts a condition in debug builds only. */
@inline export function check(cond: bool, what: string): void {
  if (!ASC_NO_ASSERT) assert(cond, what);
}

/** Asserts that the byte ranges [a, a+an) and [b, b+bn) do not overlap. */
@inline export function checkNoOverlap(a: usize, an: usize, b: usize, bn: usize, what: string): void {
  if (!ASC_NO_ASSERT) assert(a + an <= b || b + bn <= a, what);
}
