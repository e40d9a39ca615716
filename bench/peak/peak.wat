;; f32x4 multiply-add peak: a register-blocked 2x5 micro-kernel (10 accumulators, 2 vectors of "A"
;; held in registers, 5 broadcast loads of "B" per step), the shape of a GEMM/conv inner loop.
;; Each step does 10 f32x4.mul + 10 f32x4.add = 80 flops; the loop body holds 2 steps.
;; fma_loop(iters) runs `iters` bodies (160 flops each) and returns a value that depends on every
;; accumulator, so nothing can be removed. The B buffer (64 floats) stays in L1.
(module
  (memory (export "memory") 1)
  (func (export "mul_add_loop") (param $iters i32) (result f32)
    (local $x0 v128) (local $x1 v128) (local $y v128) (local $p i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $a4 v128)
    (local $a5 v128) (local $a6 v128) (local $a7 v128) (local $a8 v128) (local $a9 v128)
    (local.set $x0 (f32x4.splat (f32.const 0.999)))
    (local.set $x1 (f32x4.splat (f32.const 1.001)))
    (block $done
      (loop $top
        (br_if $done (i32.eqz (local.get $iters)))
        ;; step 1: B from p + 0..16
        (local.set $y (v128.load32_splat offset=0 (local.get $p)))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $x0) (local.get $y))))
        (local.set $a5 (f32x4.add (local.get $a5) (f32x4.mul (local.get $x1) (local.get $y))))
        (local.set $y (v128.load32_splat offset=4 (local.get $p)))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $x0) (local.get $y))))
        (local.set $a6 (f32x4.add (local.get $a6) (f32x4.mul (local.get $x1) (local.get $y))))
        (local.set $y (v128.load32_splat offset=8 (local.get $p)))
        (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $x0) (local.get $y))))
        (local.set $a7 (f32x4.add (local.get $a7) (f32x4.mul (local.get $x1) (local.get $y))))
        (local.set $y (v128.load32_splat offset=12 (local.get $p)))
        (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $x0) (local.get $y))))
        (local.set $a8 (f32x4.add (local.get $a8) (f32x4.mul (local.get $x1) (local.get $y))))
        (local.set $y (v128.load32_splat offset=16 (local.get $p)))
        (local.set $a4 (f32x4.add (local.get $a4) (f32x4.mul (local.get $x0) (local.get $y))))
        (local.set $a9 (f32x4.add (local.get $a9) (f32x4.mul (local.get $x1) (local.get $y))))
        ;; step 2: B from p + 20..36
        (local.set $y (v128.load32_splat offset=20 (local.get $p)))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $x0) (local.get $y))))
        (local.set $a5 (f32x4.add (local.get $a5) (f32x4.mul (local.get $x1) (local.get $y))))
        (local.set $y (v128.load32_splat offset=24 (local.get $p)))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $x0) (local.get $y))))
        (local.set $a6 (f32x4.add (local.get $a6) (f32x4.mul (local.get $x1) (local.get $y))))
        (local.set $y (v128.load32_splat offset=28 (local.get $p)))
        (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $x0) (local.get $y))))
        (local.set $a7 (f32x4.add (local.get $a7) (f32x4.mul (local.get $x1) (local.get $y))))
        (local.set $y (v128.load32_splat offset=32 (local.get $p)))
        (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $x0) (local.get $y))))
        (local.set $a8 (f32x4.add (local.get $a8) (f32x4.mul (local.get $x1) (local.get $y))))
        (local.set $y (v128.load32_splat offset=36 (local.get $p)))
        (local.set $a4 (f32x4.add (local.get $a4) (f32x4.mul (local.get $x0) (local.get $y))))
        (local.set $a9 (f32x4.add (local.get $a9) (f32x4.mul (local.get $x1) (local.get $y))))
        ;; p walks 0, 64, 128, 192 (bytes) so the loads are not loop-invariant
        (local.set $p (i32.and (i32.add (local.get $p) (i32.const 64)) (i32.const 192)))
        (local.set $iters (i32.sub (local.get $iters) (i32.const 1)))
        (br $top)))
    (f32x4.extract_lane 0
      (f32x4.add
        (f32x4.add (f32x4.add (f32x4.add (local.get $a0) (local.get $a1)) (f32x4.add (local.get $a2) (local.get $a3)))
                   (f32x4.add (f32x4.add (local.get $a4) (local.get $a5)) (f32x4.add (local.get $a6) (local.get $a7))))
        (f32x4.add (local.get $a8) (local.get $a9)))))
)
