;; The fused Adam update over float32 values in tfjs-wasm's own memory (imported), four
;; values per instruction (f32x4), in float32 like tf.train.adam's own kernels. A JS loop
;; runs one value at a time in float64 and was ~10 ns per value here (its square root and
;; division dominate): a third of a lean dense training step.
;;
;; adam(x, m, v, g, ox, om, ov: byte offsets of n float32 values each, n,
;;      rate = c1, c2, k1 = 1 - beta1, k2 = 1 - beta2, epsilon, l2x2 = 2 * l2, squares)
;;   gi = g + l2x2 * x            (when l2x2 != 0)
;;   m' = m + (gi - m) * k1;  v' = v + (gi * gi - v) * k2
;;   x' = x - rate * m' / (sqrt(c2 * v') + epsilon)
;; returns, when squares != 0, sum x^2 over the values before the update, in order in float64 (the L2 penalty's sum
;; of squares as a JS loop adds it; here it costs no pass of its own), else 0.
;;
;; Regenerate adam-wasm.ts after editing: node tools/gen-wasm.mjs
(module
  (import "env" "memory" (memory 0))

  ;; One value at byte offset $o (the last n mod 4).
  (func $one
    (param $x i32) (param $m i32) (param $v i32) (param $g i32)
    (param $ox i32) (param $om i32) (param $ov i32) (param $o i32)
    (param $rate f32) (param $c2 f32) (param $k1 f32) (param $k2 f32)
    (param $eps f32) (param $l2 f32) (param $hasL2 i32)
    (local $X f32) (local $M f32) (local $V f32) (local $G f32) (local $mi f32) (local $vi f32)
    (local.set $X (f32.load (i32.add (local.get $x) (local.get $o))))
    (local.set $M (f32.load (i32.add (local.get $m) (local.get $o))))
    (local.set $V (f32.load (i32.add (local.get $v) (local.get $o))))
    (local.set $G (f32.load (i32.add (local.get $g) (local.get $o))))
    (if (local.get $hasL2)
      (then (local.set $G (f32.add (local.get $G) (f32.mul (local.get $l2) (local.get $X))))))
    (local.set $mi (f32.add (local.get $M) (f32.mul (f32.sub (local.get $G) (local.get $M)) (local.get $k1))))
    (local.set $vi (f32.add (local.get $V)
      (f32.mul (f32.sub (f32.mul (local.get $G) (local.get $G)) (local.get $V)) (local.get $k2))))
    (f32.store (i32.add (local.get $om) (local.get $o)) (local.get $mi))
    (f32.store (i32.add (local.get $ov) (local.get $o)) (local.get $vi))
    (f32.store (i32.add (local.get $ox) (local.get $o))
      (f32.sub (local.get $X)
        (f32.div (f32.mul (local.get $rate) (local.get $mi))
          (f32.add (f32.sqrt (f32.mul (local.get $c2) (local.get $vi))) (local.get $eps))))))

  (func (export "adam")
    (param $x i32) (param $m i32) (param $v i32) (param $g i32)
    (param $ox i32) (param $om i32) (param $ov i32) (param $n i32)
    (param $rate f64) (param $c2 f64) (param $k1 f64) (param $k2 f64) (param $eps f64) (param $l2x2 f64)
    (param $squares i32) (result f64)
    (local $sum f64) (local $d f64)
    (local $o i32) (local $wide i32) (local $end i32) (local $hasL2 i32)
    (local $r f32) (local $c f32) (local $a f32) (local $b f32) (local $e f32) (local $l f32)
    (local $R v128) (local $C v128) (local $A v128) (local $B v128) (local $E v128) (local $L v128)
    (local $X v128) (local $M v128) (local $V v128) (local $G v128) (local $mi v128) (local $vi v128)
    (local.set $r (f32.demote_f64 (local.get $rate)))
    (local.set $c (f32.demote_f64 (local.get $c2)))
    (local.set $a (f32.demote_f64 (local.get $k1)))
    (local.set $b (f32.demote_f64 (local.get $k2)))
    (local.set $e (f32.demote_f64 (local.get $eps)))
    (local.set $l (f32.demote_f64 (local.get $l2x2)))
    (local.set $hasL2 (f64.ne (local.get $l2x2) (f64.const 0)))
    ;; byte offsets where the groups of four end and where all values end
    (local.set $wide (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    ;; the four-value body written out here, its constants splatted once: a call per four values (V8 in Node 20 does
    ;; not inline wasm calls) cost as much as the arithmetic
    (local.set $R (f32x4.splat (local.get $r)))
    (local.set $C (f32x4.splat (local.get $c)))
    (local.set $A (f32x4.splat (local.get $a)))
    (local.set $B (f32x4.splat (local.get $b)))
    (local.set $E (f32x4.splat (local.get $e)))
    (local.set $L (f32x4.splat (local.get $l)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $o) (local.get $wide)))
        (local.set $X (v128.load (i32.add (local.get $x) (local.get $o))))
        (local.set $M (v128.load (i32.add (local.get $m) (local.get $o))))
        (local.set $V (v128.load (i32.add (local.get $v) (local.get $o))))
        (local.set $G (v128.load (i32.add (local.get $g) (local.get $o))))
        (if (local.get $squares)
          (then
            (local.set $d (f64.promote_f32 (f32x4.extract_lane 0 (local.get $X))))
            (local.set $sum (f64.add (local.get $sum) (f64.mul (local.get $d) (local.get $d))))
            (local.set $d (f64.promote_f32 (f32x4.extract_lane 1 (local.get $X))))
            (local.set $sum (f64.add (local.get $sum) (f64.mul (local.get $d) (local.get $d))))
            (local.set $d (f64.promote_f32 (f32x4.extract_lane 2 (local.get $X))))
            (local.set $sum (f64.add (local.get $sum) (f64.mul (local.get $d) (local.get $d))))
            (local.set $d (f64.promote_f32 (f32x4.extract_lane 3 (local.get $X))))
            (local.set $sum (f64.add (local.get $sum) (f64.mul (local.get $d) (local.get $d))))))
        (if (local.get $hasL2)
          (then (local.set $G (f32x4.add (local.get $G) (f32x4.mul (local.get $L) (local.get $X))))))
        (local.set $mi
          (f32x4.add (local.get $M) (f32x4.mul (f32x4.sub (local.get $G) (local.get $M)) (local.get $A))))
        (local.set $vi (f32x4.add (local.get $V)
          (f32x4.mul (f32x4.sub (f32x4.mul (local.get $G) (local.get $G)) (local.get $V)) (local.get $B))))
        (v128.store (i32.add (local.get $om) (local.get $o)) (local.get $mi))
        (v128.store (i32.add (local.get $ov) (local.get $o)) (local.get $vi))
        (v128.store (i32.add (local.get $ox) (local.get $o))
          (f32x4.sub (local.get $X)
            (f32x4.div (f32x4.mul (local.get $R) (local.get $mi))
              (f32x4.add (f32x4.sqrt (f32x4.mul (local.get $C) (local.get $vi))) (local.get $E)))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $each)))
    (block $tail
      (loop $rest
        (br_if $tail (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $d (f64.promote_f32 (f32.load (i32.add (local.get $x) (local.get $o)))))
        (if (local.get $squares)
          (then (local.set $sum (f64.add (local.get $sum) (f64.mul (local.get $d) (local.get $d))))))
        (call $one (local.get $x) (local.get $m) (local.get $v) (local.get $g)
          (local.get $ox) (local.get $om) (local.get $ov) (local.get $o)
          (local.get $r) (local.get $c) (local.get $a) (local.get $b) (local.get $e) (local.get $l) (local.get $hasL2))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $rest)))
    (local.get $sum)))
