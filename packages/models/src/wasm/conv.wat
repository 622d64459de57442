;; The products of a 1-D convolution (stride 1, channels last) over float32 values in
;; tfjs-wasm's own memory (imported), eight output channels per pair of f32x4 registers.
;; A convolution over a zero-padded input xp [n][steps + k - 1][cin] is a matrix product
;; whose left rows are windows of xp: row (g, i) is the k * cin values from
;; xp + (g * paddedSteps + i) * cin, so no patch matrix is ever built. tfjs-wasm's own
;; gradient kernels ran at a third of its forward convolution's rate here (~7 GFLOP/s);
;; these tiles keep 8 accumulators in registers and broadcast each left value from memory.
;;
;; gemm(a, rowStride, groupStride, groups, rows, depth, packed, colTiles, y, bias, hasBias, relu, tileStride,
;;      bRowStride)
;;   y[(g * rows + i) * cols + c] = act(bias[c] + sum_r A(g, i)[r] * B[r][c]),  cols = 8 * colTiles
;;   A(g, i) = the depth floats at byte a + g * groupStride + i * rowStride
;;   B[r][8t .. 8t + 7]: the 8 contiguous floats at byte packed + t * tileStride + r * bRowStride; as `pack` lays B
;;   out, [colTiles][depth][8]: tileStride 32 * depth, bRowStride 32; a row-major [depth][cols] matrix as it is:
;;   tileStride 32, bRowStride 4 * cols (no packing)
;; outer(a, rowStride, groupStride, groups, rows, depth, d, cols, out, init)
;;   out[r * cols + c] += sum_(g, i) A(g, i)[r] * d[(g * rows + i) * cols + c],  cols a multiple of 8;
;;   init 1: out = the sums (out is not read: no zeroing pass before it)
;; Sums run in order of r (gemm) and of (g, i) (outer), one f32x4 lane per column, with no
;; fused multiply-add: the order and rounding of XNNPACK's own wasm products, whose bits
;; the dense step's products reproduce. dots and outerT are the same for fewer than 8
;; columns; pack lays B out for gemm; backprop, pool, unpool, repeat and mul are the
;; elementwise passes around a layer (each documented below).
;;
;; Regenerate conv-wasm.ts after editing: node tools/gen-wasm.mjs
(module
  (import "env" "memory" (memory 0))

  ;; Four rows at $p, $p + $rs, ... times one 8-column tile of packed B at $bp; stores the
  ;; 4 x 8 results at $y, $y + $yrs, ...
  (func $gemm4
    (param $p i32) (param $rs i32) (param $bp i32) (param $bs i32) (param $depth i32) (param $y i32) (param $yrs i32)
    (param $i0 v128) (param $i1 v128) (param $relu i32)
    (local $p1 i32) (local $p2 i32) (local $p3 i32) (local $r i32)
    (local $b0 v128) (local $b1 v128) (local $s v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $p1 (i32.add (local.get $p) (local.get $rs)))
    (local.set $p2 (i32.add (local.get $p1) (local.get $rs)))
    (local.set $p3 (i32.add (local.get $p2) (local.get $rs)))
    (local.set $c00 (local.get $i0)) (local.set $c01 (local.get $i1))
    (local.set $c10 (local.get $i0)) (local.set $c11 (local.get $i1))
    (local.set $c20 (local.get $i0)) (local.set $c21 (local.get $i1))
    (local.set $c30 (local.get $i0)) (local.set $c31 (local.get $i1))
    (local.set $r (local.get $depth))
    (loop $each
      (local.set $b0 (v128.load (local.get $bp)))
      (local.set $b1 (v128.load offset=16 (local.get $bp)))
      (local.set $s (v128.load32_splat (local.get $p)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $s) (local.get $b1))))
      (local.set $s (v128.load32_splat (local.get $p1)))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $s) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $s) (local.get $b1))))
      (local.set $s (v128.load32_splat (local.get $p2)))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $s) (local.get $b0))))
      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $s) (local.get $b1))))
      (local.set $s (v128.load32_splat (local.get $p3)))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $s) (local.get $b0))))
      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $s) (local.get $b1))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (local.set $p1 (i32.add (local.get $p1) (i32.const 4)))
      (local.set $p2 (i32.add (local.get $p2) (i32.const 4)))
      (local.set $p3 (i32.add (local.get $p3) (i32.const 4)))
      (local.set $bp (i32.add (local.get $bp) (local.get $bs)))
      (br_if $each (local.tee $r (i32.sub (local.get $r) (i32.const 1)))))
    (if (local.get $relu)
      (then
        (local.set $s (v128.const i32x4 0 0 0 0))
        (local.set $c00 (f32x4.max (local.get $c00) (local.get $s)))
        (local.set $c01 (f32x4.max (local.get $c01) (local.get $s)))
        (local.set $c10 (f32x4.max (local.get $c10) (local.get $s)))
        (local.set $c11 (f32x4.max (local.get $c11) (local.get $s)))
        (local.set $c20 (f32x4.max (local.get $c20) (local.get $s)))
        (local.set $c21 (f32x4.max (local.get $c21) (local.get $s)))
        (local.set $c30 (f32x4.max (local.get $c30) (local.get $s)))
        (local.set $c31 (f32x4.max (local.get $c31) (local.get $s)))))
    (v128.store (local.get $y) (local.get $c00))
    (v128.store offset=16 (local.get $y) (local.get $c01))
    (local.set $y (i32.add (local.get $y) (local.get $yrs)))
    (v128.store (local.get $y) (local.get $c10))
    (v128.store offset=16 (local.get $y) (local.get $c11))
    (local.set $y (i32.add (local.get $y) (local.get $yrs)))
    (v128.store (local.get $y) (local.get $c20))
    (v128.store offset=16 (local.get $y) (local.get $c21))
    (local.set $y (i32.add (local.get $y) (local.get $yrs)))
    (v128.store (local.get $y) (local.get $c30))
    (v128.store offset=16 (local.get $y) (local.get $c31)))

  ;; One row at $p times one 8-column tile of B at $bp (rows $bs bytes apart), stored at $y.
  (func $gemm1
    (param $p i32) (param $bp i32) (param $bs i32) (param $depth i32) (param $y i32) (param $i0 v128) (param $i1 v128)
    (param $relu i32)
    (local $r i32) (local $s v128) (local $c0 v128) (local $c1 v128)
    (local.set $c0 (local.get $i0))
    (local.set $c1 (local.get $i1))
    (local.set $r (local.get $depth))
    (loop $each
      (local.set $s (v128.load32_splat (local.get $p)))
      (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $s) (v128.load (local.get $bp)))))
      (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $s) (v128.load offset=16 (local.get $bp)))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (local.set $bp (i32.add (local.get $bp) (local.get $bs)))
      (br_if $each (local.tee $r (i32.sub (local.get $r) (i32.const 1)))))
    (if (local.get $relu)
      (then
        (local.set $s (v128.const i32x4 0 0 0 0))
        (local.set $c0 (f32x4.max (local.get $c0) (local.get $s)))
        (local.set $c1 (f32x4.max (local.get $c1) (local.get $s)))))
    (v128.store (local.get $y) (local.get $c0))
    (v128.store offset=16 (local.get $y) (local.get $c1)))

  (func (export "gemm")
    (param $a i32) (param $rowStride i32) (param $groupStride i32) (param $groups i32) (param $rows i32)
    (param $depth i32) (param $packed i32) (param $colTiles i32) (param $y i32)
    (param $bias i32) (param $hasBias i32) (param $relu i32) (param $tileStride i32) (param $bRowStride i32)
    (local $g i32) (local $i i32) (local $t i32) (local $row i32) (local $yrs i32)
    (local $i0 v128) (local $i1 v128)
    (local.set $yrs (i32.shl (local.get $colTiles) (i32.const 5)))
    (loop $group
      (local.set $row (i32.add (local.get $a) (i32.mul (local.get $g) (local.get $groupStride))))
      (local.set $i (i32.const 0))
      (block $rowsDone
        (loop $rowsOf
          (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
          (local.set $t (i32.const 0))
          (loop $tile
            (if (local.get $hasBias)
              (then
                (local.set $i0 (v128.load (i32.add (local.get $bias) (i32.shl (local.get $t) (i32.const 5)))))
                (local.set $i1
                  (v128.load offset=16 (i32.add (local.get $bias) (i32.shl (local.get $t) (i32.const 5))))))
              (else (local.set $i0 (v128.const i32x4 0 0 0 0)) (local.set $i1 (v128.const i32x4 0 0 0 0))))
            (if (i32.le_u (i32.add (local.get $i) (i32.const 4)) (local.get $rows))
              (then
                (call $gemm4 (local.get $row) (local.get $rowStride)
                  (i32.add (local.get $packed) (i32.mul (local.get $t) (local.get $tileStride))) (local.get $bRowStride)
                  (local.get $depth)
                  (i32.add (local.get $y) (i32.shl (local.get $t) (i32.const 5))) (local.get $yrs)
                  (local.get $i0) (local.get $i1) (local.get $relu)))
              (else
                (call $gemm1 (local.get $row)
                  (i32.add (local.get $packed) (i32.mul (local.get $t) (local.get $tileStride))) (local.get $bRowStride)
                  (local.get $depth)
                  (i32.add (local.get $y) (i32.shl (local.get $t) (i32.const 5)))
                  (local.get $i0) (local.get $i1) (local.get $relu))))
            (br_if $tile (i32.lt_u (local.tee $t (i32.add (local.get $t) (i32.const 1))) (local.get $colTiles))))
          ;; four rows were done when four remained, else one
          (if (i32.le_u (i32.add (local.get $i) (i32.const 4)) (local.get $rows))
            (then
              (local.set $i (i32.add (local.get $i) (i32.const 4)))
              (local.set $row (i32.add (local.get $row) (i32.shl (local.get $rowStride) (i32.const 2))))
              (local.set $y (i32.add (local.get $y) (i32.shl (local.get $yrs) (i32.const 2)))))
            (else
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (local.set $row (i32.add (local.get $row) (local.get $rowStride)))
              (local.set $y (i32.add (local.get $y) (local.get $yrs)))))
          (br $rowsOf)))
      (br_if $group (i32.lt_u (local.tee $g (i32.add (local.get $g) (i32.const 1))) (local.get $groups)))))

  ;; out[r..r+3][c..c+7] += sum over the $rows rows of one group: left values at $p
  ;; (four consecutive r), right values at $d; strides $rs and $ds.
  (func $outer4
    (param $p i32) (param $rs i32) (param $d i32) (param $ds i32) (param $rows i32) (param $out i32) (param $ors i32)
    (param $init i32)
    (local $o1 i32) (local $o2 i32) (local $o3 i32)
    (local $b0 v128) (local $b1 v128) (local $s v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $o1 (i32.add (local.get $out) (local.get $ors)))
    (local.set $o2 (i32.add (local.get $o1) (local.get $ors)))
    (local.set $o3 (i32.add (local.get $o2) (local.get $ors)))
    ;; $init: the sums start from zero (the locals' own value), not from what $out holds
    (if (i32.eqz (local.get $init))
      (then
        (local.set $c00 (v128.load (local.get $out))) (local.set $c01 (v128.load offset=16 (local.get $out)))
        (local.set $c10 (v128.load (local.get $o1))) (local.set $c11 (v128.load offset=16 (local.get $o1)))
        (local.set $c20 (v128.load (local.get $o2))) (local.set $c21 (v128.load offset=16 (local.get $o2)))
        (local.set $c30 (v128.load (local.get $o3))) (local.set $c31 (v128.load offset=16 (local.get $o3)))))
    (loop $each
      (local.set $b0 (v128.load (local.get $d)))
      (local.set $b1 (v128.load offset=16 (local.get $d)))
      (local.set $s (v128.load32_splat (local.get $p)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $s) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $s) (local.get $b1))))
      (local.set $s (v128.load32_splat offset=4 (local.get $p)))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $s) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $s) (local.get $b1))))
      (local.set $s (v128.load32_splat offset=8 (local.get $p)))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $s) (local.get $b0))))
      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $s) (local.get $b1))))
      (local.set $s (v128.load32_splat offset=12 (local.get $p)))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $s) (local.get $b0))))
      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $s) (local.get $b1))))
      (local.set $p (i32.add (local.get $p) (local.get $rs)))
      (local.set $d (i32.add (local.get $d) (local.get $ds)))
      (br_if $each (local.tee $rows (i32.sub (local.get $rows) (i32.const 1)))))
    (v128.store (local.get $out) (local.get $c00)) (v128.store offset=16 (local.get $out) (local.get $c01))
    (v128.store (local.get $o1) (local.get $c10)) (v128.store offset=16 (local.get $o1) (local.get $c11))
    (v128.store (local.get $o2) (local.get $c20)) (v128.store offset=16 (local.get $o2) (local.get $c21))
    (v128.store (local.get $o3) (local.get $c30)) (v128.store offset=16 (local.get $o3) (local.get $c31)))

  ;; The same for one r.
  (func $outer1
    (param $p i32) (param $rs i32) (param $d i32) (param $ds i32) (param $rows i32) (param $out i32) (param $init i32)
    (local $s v128) (local $c0 v128) (local $c1 v128)
    (if (i32.eqz (local.get $init))
      (then
        (local.set $c0 (v128.load (local.get $out)))
        (local.set $c1 (v128.load offset=16 (local.get $out)))))
    (loop $each
      (local.set $s (v128.load32_splat (local.get $p)))
      (local.set $c0 (f32x4.add (local.get $c0) (f32x4.mul (local.get $s) (v128.load (local.get $d)))))
      (local.set $c1 (f32x4.add (local.get $c1) (f32x4.mul (local.get $s) (v128.load offset=16 (local.get $d)))))
      (local.set $p (i32.add (local.get $p) (local.get $rs)))
      (local.set $d (i32.add (local.get $d) (local.get $ds)))
      (br_if $each (local.tee $rows (i32.sub (local.get $rows) (i32.const 1)))))
    (v128.store (local.get $out) (local.get $c0))
    (v128.store offset=16 (local.get $out) (local.get $c1)))

  (func (export "outer")
    (param $a i32) (param $rowStride i32) (param $groupStride i32) (param $groups i32) (param $rows i32)
    (param $depth i32) (param $d i32) (param $cols i32) (param $out i32) (param $init i32)
    (local $g i32) (local $r i32) (local $c i32) (local $ds i32) (local $ors i32) (local $left i32) (local $right i32)
    (local $first i32)
    (local.set $ds (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $ors (local.get $ds))
    (loop $group
      (local.set $first (i32.and (local.get $init) (i32.eqz (local.get $g))))
      (local.set $left (i32.add (local.get $a) (i32.mul (local.get $g) (local.get $groupStride))))
      (local.set $right (i32.add (local.get $d) (i32.mul (i32.mul (local.get $g) (local.get $rows)) (local.get $ds))))
      (local.set $r (i32.const 0))
      (block $rDone
        (loop $rOf
          (br_if $rDone (i32.ge_u (local.get $r) (local.get $depth)))
          (local.set $c (i32.const 0))
          (loop $tile
            (if (i32.le_u (i32.add (local.get $r) (i32.const 4)) (local.get $depth))
              (then
                (call $outer4
                  (i32.add (local.get $left) (i32.shl (local.get $r) (i32.const 2))) (local.get $rowStride)
                  (i32.add (local.get $right) (i32.shl (local.get $c) (i32.const 2))) (local.get $ds) (local.get $rows)
                  (i32.add (local.get $out)
                    (i32.shl (i32.add (i32.mul (local.get $r) (local.get $cols)) (local.get $c)) (i32.const 2)))
                  (local.get $ors) (local.get $first)))
              (else
                (call $outer1
                  (i32.add (local.get $left) (i32.shl (local.get $r) (i32.const 2))) (local.get $rowStride)
                  (i32.add (local.get $right) (i32.shl (local.get $c) (i32.const 2))) (local.get $ds) (local.get $rows)
                  (i32.add (local.get $out)
                    (i32.shl (i32.add (i32.mul (local.get $r) (local.get $cols)) (local.get $c)) (i32.const 2)))
                  (local.get $first))))
            (br_if $tile (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 8))) (local.get $cols))))
          (local.set $r (i32.add (local.get $r)
            (select (i32.const 4) (i32.const 1) (i32.le_u (i32.add (local.get $r) (i32.const 4)) (local.get $depth)))))
          (br $rOf)))
      (br_if $group (i32.lt_u (local.tee $g (i32.add (local.get $g) (i32.const 1))) (local.get $groups)))))
  ;; dz = dy (times mask[i] when $hasMask), zero where y <= 0 when $relu; db[c] = sum over
  ;; rows of dz[row][c]. cols a multiple of 4; db sums each column in row order in float32,
  ;; as a JS loop would.
  (func (export "backprop")
    (param $dy i32) (param $y i32) (param $dz i32) (param $rows i32) (param $cols i32) (param $db i32) (param $relu i32)
    (param $mask i32) (param $hasMask i32)
    (local $o i32) (local $c i32) (local $rowBytes i32) (local $end i32) (local $d v128)
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $end (i32.mul (local.get $rows) (local.get $rowBytes)))
    (loop $zero
      (v128.store (i32.add (local.get $db) (local.get $c)) (v128.const i32x4 0 0 0 0))
      (br_if $zero (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 16))) (local.get $rowBytes))))
    (loop $row
      (local.set $c (i32.const 0))
      (loop $col
        (local.set $d (v128.load (i32.add (local.get $dy) (local.get $o))))
        (if (local.get $hasMask)
          (then (local.set $d (f32x4.mul (local.get $d) (v128.load (i32.add (local.get $mask) (local.get $o)))))))
        (if (local.get $relu)
          (then (local.set $d (v128.and (local.get $d)
            (f32x4.gt (v128.load (i32.add (local.get $y) (local.get $o))) (v128.const i32x4 0 0 0 0))))))
        (v128.store (i32.add (local.get $dz) (local.get $o)) (local.get $d))
        (v128.store (i32.add (local.get $db) (local.get $c))
          (f32x4.add (v128.load (i32.add (local.get $db) (local.get $c))) (local.get $d)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br_if $col (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 16))) (local.get $rowBytes))))
      (br_if $row (i32.lt_u (local.get $o) (local.get $end)))))

  ;; Max-pooling over steps of x [batch][width][channels] into y [batch][steps][channels]
  ;; with each maximum's element index in argmax (int32); window s covers steps
  ;; [s * stride - left, + size) within the row; the first largest wins. channels a multiple of 4.
  (func (export "pool")
    (param $x i32) (param $batch i32) (param $width i32) (param $channels i32) (param $steps i32)
    (param $size i32) (param $stride i32) (param $left i32) (param $y i32) (param $argmax i32)
    (local $n i32) (local $s i32) (local $w i32) (local $w1 i32) (local $k i32) (local $c i32) (local $at i32)
    (local $o i32)
    (local $best v128) (local $index v128) (local $v v128) (local $more v128)
    (loop $batchOf
      (local.set $s (i32.const 0))
      (loop $step
        (local.set $w (i32.sub (i32.mul (local.get $s) (local.get $stride)) (local.get $left)))
        (local.set $w1 (i32.add (local.get $w) (local.get $size)))
        (if (i32.lt_s (local.get $w) (i32.const 0)) (then (local.set $w (i32.const 0))))
        (if (i32.gt_s (local.get $w1) (local.get $width)) (then (local.set $w1 (local.get $width))))
        (local.set $c (i32.const 0))
        (loop $chunk
          ;; element index of (n, w, c)
          (local.set $at
            (i32.add
              (i32.mul (i32.add (i32.mul (local.get $n) (local.get $width)) (local.get $w)) (local.get $channels))
              (local.get $c)))
          (local.set $index (i32x4.add (i32x4.splat (local.get $at)) (v128.const i32x4 0 1 2 3)))
          (local.set $best (v128.load (i32.add (local.get $x) (i32.shl (local.get $at) (i32.const 2)))))
          (local.set $k (i32.sub (local.get $w1) (local.get $w)))
          (block $done
            (loop $more
              (br_if $done (i32.le_s (local.tee $k (i32.sub (local.get $k) (i32.const 1))) (i32.const 0)))
              (local.set $at (i32.add (local.get $at) (local.get $channels)))
              (local.set $v (v128.load (i32.add (local.get $x) (i32.shl (local.get $at) (i32.const 2)))))
              (local.set $more (f32x4.gt (local.get $v) (local.get $best)))
              (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $more)))
              (local.set $index
                (v128.bitselect (i32x4.add (i32x4.splat (local.get $at)) (v128.const i32x4 0 1 2 3)) (local.get $index)
                  (local.get $more)))
              (br $more)))
          (v128.store (i32.add (local.get $y) (local.get $o)) (local.get $best))
          (v128.store (i32.add (local.get $argmax) (local.get $o)) (local.get $index))
          (local.set $o (i32.add (local.get $o) (i32.const 16)))
          (br_if $chunk (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 4))) (local.get $channels))))
        (br_if $step (i32.lt_u (local.tee $s (i32.add (local.get $s) (i32.const 1))) (local.get $steps))))
      (br_if $batchOf (i32.lt_u (local.tee $n (i32.add (local.get $n) (i32.const 1))) (local.get $batch)))))

  ;; Max-pooling's gradient: dx (n floats) zeroed, then dy[o] added at argmax[o] for each
  ;; of the m outputs, in order.
  (func (export "unpool") (param $dy i32) (param $argmax i32) (param $m i32) (param $dx i32) (param $n i32)
    (local $o i32) (local $at i32)
    (memory.fill (local.get $dx) (i32.const 0) (i32.shl (local.get $n) (i32.const 2)))
    (local.set $m (i32.shl (local.get $m) (i32.const 2)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $o) (local.get $m)))
        (local.set $at
          (i32.add (local.get $dx) (i32.shl (i32.load (i32.add (local.get $argmax) (local.get $o))) (i32.const 2))))
        (f32.store (local.get $at)
          (f32.add (f32.load (local.get $at)) (f32.load (i32.add (local.get $dy) (local.get $o)))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $each))))

  ;; Upsampling over steps: each of the rows (of cols floats, a multiple of 4) of x written
  ;; size times in a row into out; with $backward, each run of size rows of x summed into
  ;; one row of out instead (the first row, then the others added in order).
  (func (export "repeat") (param $x i32) (param $rows i32) (param $cols i32) (param $size i32) (param $out i32)
    (param $backward i32)
    (local $row i32) (local $r i32) (local $c i32) (local $rowBytes i32) (local $narrow i32) (local $wide i32)
    (local $acc v128)
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $row) (local.get $rows)))
        (local.set $narrow (i32.mul (local.get $row) (local.get $rowBytes)))
        (local.set $wide (i32.mul (local.get $narrow) (local.get $size)))
        (local.set $c (i32.const 0))
        (loop $chunk
          (if (local.get $backward)
            (then
              (local.set $acc (v128.load (i32.add (local.get $x) (i32.add (local.get $wide) (local.get $c)))))
              (local.set $r (i32.const 1))
              (block $summed
                (loop $sum
                  (br_if $summed (i32.ge_u (local.get $r) (local.get $size)))
                  (local.set $acc (f32x4.add (local.get $acc)
                    (v128.load
                      (i32.add (local.get $x)
                        (i32.add (i32.add (local.get $wide) (i32.mul (local.get $r) (local.get $rowBytes)))
                          (local.get $c))))))
                  (local.set $r (i32.add (local.get $r) (i32.const 1)))
                  (br $sum)))
              (v128.store (i32.add (local.get $out) (i32.add (local.get $narrow) (local.get $c))) (local.get $acc)))
            (else
              (local.set $acc (v128.load (i32.add (local.get $x) (i32.add (local.get $narrow) (local.get $c)))))
              (local.set $r (i32.const 0))
              (loop $copy
                (v128.store
                  (i32.add (local.get $out)
                    (i32.add (i32.add (local.get $wide) (i32.mul (local.get $r) (local.get $rowBytes))) (local.get $c)))
                  (local.get $acc))
                (br_if $copy (i32.lt_u (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $size))))))
          (br_if $chunk (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 16))) (local.get $rowBytes))))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $each))))

  ;; sum_r p[r] * q[r] over depth floats, eight at a time in two accumulators.
  (func $dot (param $p i32) (param $q i32) (param $depth i32) (result f32)
    (local $a0 v128) (local $a1 v128) (local $sum f32)
    (block $wide
      (loop $eights
        (br_if $wide (i32.lt_u (local.get $depth) (i32.const 8)))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (local.get $p)) (v128.load (local.get $q)))))
        (local.set $a1
          (f32x4.add (local.get $a1)
            (f32x4.mul (v128.load offset=16 (local.get $p)) (v128.load offset=16 (local.get $q)))))
        (local.set $p (i32.add (local.get $p) (i32.const 32)))
        (local.set $q (i32.add (local.get $q) (i32.const 32)))
        (local.set $depth (i32.sub (local.get $depth) (i32.const 8)))
        (br $eights)))
    (if (i32.ge_u (local.get $depth) (i32.const 4))
      (then
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (local.get $p)) (v128.load (local.get $q)))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (local.set $q (i32.add (local.get $q) (i32.const 16)))
        (local.set $depth (i32.sub (local.get $depth) (i32.const 4)))))
    (local.set $a0 (f32x4.add (local.get $a0) (local.get $a1)))
    (local.set $sum (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $a0)) (f32x4.extract_lane 1 (local.get $a0)))
      (f32.add (f32x4.extract_lane 2 (local.get $a0)) (f32x4.extract_lane 3 (local.get $a0)))))
    (block $done
      (loop $ones
        (br_if $done (i32.eqz (local.get $depth)))
        (local.set $sum (f32.add (local.get $sum) (f32.mul (f32.load (local.get $p)) (f32.load (local.get $q)))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $q (i32.add (local.get $q) (i32.const 4)))
        (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
        (br $ones)))
    (local.get $sum))

  ;; gemm for any number of columns, one dot product per output: wt holds B transposed,
  ;; [cols][depth]; y[(g * rows + i) * cols + c] = bias[c] + A(g, i) . wt[c], relu when asked.
  (func (export "dots")
    (param $a i32) (param $rowStride i32) (param $groupStride i32) (param $groups i32) (param $rows i32)
    (param $depth i32) (param $wt i32) (param $cols i32) (param $y i32) (param $bias i32) (param $hasBias i32)
    (param $relu i32)
    (local $g i32) (local $i i32) (local $c i32) (local $row i32) (local $v f32)
    (loop $group
      (local.set $row (i32.add (local.get $a) (i32.mul (local.get $g) (local.get $groupStride))))
      (local.set $i (i32.const 0))
      (loop $rowsOf
        (local.set $c (i32.const 0))
        (loop $col
          (local.set $v
            (call $dot (local.get $row)
              (i32.add (local.get $wt) (i32.shl (i32.mul (local.get $c) (local.get $depth)) (i32.const 2)))
              (local.get $depth)))
          (if (local.get $hasBias)
            (then
              (local.set $v
                (f32.add (f32.load (i32.add (local.get $bias) (i32.shl (local.get $c) (i32.const 2))))
                  (local.get $v)))))
          (if (i32.and (local.get $relu) (f32.lt (local.get $v) (f32.const 0)))
            (then (local.set $v (f32.const 0))))
          (f32.store (local.get $y) (local.get $v))
          (local.set $y (i32.add (local.get $y) (i32.const 4)))
          (br_if $col (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 1))) (local.get $cols))))
        (local.set $row (i32.add (local.get $row) (local.get $rowStride)))
        (br_if $rowsOf (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $rows))))
      (br_if $group (i32.lt_u (local.tee $g (i32.add (local.get $g) (i32.const 1))) (local.get $groups)))))

  ;; One strip of outer for one column: out[0..lanes) += sum over all rows of A(g, i)[0..lanes)
  ;; * d(g, i), for lanes = 16 ($vectors 4), 4 ($vectors 1) or 1 ($vectors 0, scalar).
  (func $strip
    (param $p i32) (param $rs i32) (param $gs i32) (param $groups i32) (param $rows i32) (param $d i32) (param $ds i32)
    (param $out i32) (param $vectors i32)
    (local $g i32) (local $i i32) (local $q i32) (local $s v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (if (local.get $vectors)
      (then
        (local.set $a0 (v128.load (local.get $out)))
        (if (i32.gt_u (local.get $vectors) (i32.const 1))
          (then
            (local.set $a1 (v128.load offset=16 (local.get $out)))
            (local.set $a2 (v128.load offset=32 (local.get $out)))
            (local.set $a3 (v128.load offset=48 (local.get $out))))))
      (else (local.set $a0 (v128.load32_zero (local.get $out)))))
    (loop $group
      (local.set $q (i32.add (local.get $p) (i32.mul (local.get $g) (local.get $gs))))
      (local.set $i (local.get $rows))
      (loop $rowsOf
        (local.set $s (v128.load32_splat (local.get $d)))
        (if (i32.gt_u (local.get $vectors) (i32.const 1))
          (then
            (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (local.get $q)) (local.get $s))))
            (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load offset=16 (local.get $q)) (local.get $s))))
            (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (v128.load offset=32 (local.get $q)) (local.get $s))))
            (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (v128.load offset=48 (local.get $q)) (local.get $s)))))
          (else
            (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul
              (if (result v128) (local.get $vectors) (then (v128.load (local.get $q)))
                (else (v128.load32_zero (local.get $q))))
              (local.get $s))))))
        (local.set $q (i32.add (local.get $q) (local.get $rs)))
        (local.set $d (i32.add (local.get $d) (local.get $ds)))
        (br_if $rowsOf (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))
      (br_if $group (i32.lt_u (local.tee $g (i32.add (local.get $g) (i32.const 1))) (local.get $groups))))
    (if (i32.gt_u (local.get $vectors) (i32.const 1))
      (then
        (v128.store offset=16 (local.get $out) (local.get $a1))
        (v128.store offset=32 (local.get $out) (local.get $a2))
        (v128.store offset=48 (local.get $out) (local.get $a3))))
    (if (local.get $vectors)
      (then (v128.store (local.get $out) (local.get $a0)))
      (else (f32.store (local.get $out) (f32x4.extract_lane 0 (local.get $a0))))))

  ;; outer for any number of columns, transposed: outT[c * depth + r] += sum over rows of
  ;; A(g, i)[r] * d[(g * rows + i) * cols + c], sixteen r at a time, then four, then one.
  (func (export "outerT")
    (param $a i32) (param $rowStride i32) (param $groupStride i32) (param $groups i32) (param $rows i32)
    (param $depth i32) (param $d i32) (param $cols i32) (param $outT i32)
    (local $c i32) (local $r i32) (local $lanes i32) (local $vectors i32)
    (loop $col
      (local.set $r (i32.const 0))
      (block $done
        (loop $strips
          (br_if $done (i32.ge_u (local.get $r) (local.get $depth)))
          (local.set $lanes (select (i32.const 16)
            (select (i32.const 4) (i32.const 1) (i32.le_u (i32.add (local.get $r) (i32.const 4)) (local.get $depth)))
            (i32.le_u (i32.add (local.get $r) (i32.const 16)) (local.get $depth))))
          (local.set $vectors (i32.shr_u (local.get $lanes) (i32.const 2)))
          (call $strip
            (i32.add (local.get $a) (i32.shl (local.get $r) (i32.const 2))) (local.get $rowStride)
            (local.get $groupStride)
            (local.get $groups) (local.get $rows)
            (i32.add (local.get $d) (i32.shl (local.get $c) (i32.const 2))) (i32.shl (local.get $cols) (i32.const 2))
            (i32.add (local.get $outT)
              (i32.shl (i32.add (i32.mul (local.get $c) (local.get $depth)) (local.get $r)) (i32.const 2)))
            (local.get $vectors))
          (local.set $r (i32.add (local.get $r) (local.get $lanes)))
          (br $strips)))
      (br_if $col (i32.lt_u (local.tee $c (i32.add (local.get $c) (i32.const 1))) (local.get $cols)))))

  ;; out[i] = x[i] * m[i] for n floats, a multiple of 4 (a dropout mask applied).
  (func (export "mul") (param $x i32) (param $m i32) (param $out i32) (param $n i32)
    (local $o i32) (local $end i32)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (v128.store (i32.add (local.get $out) (local.get $o))
          (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $o)))
            (v128.load (i32.add (local.get $m) (local.get $o)))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $each))))

  ;; Dropout multipliers: out[i] = (float32(u_i) + keep < 1 ? 0 : kept) for n draws u_i of seedrandom's alea from
  ;; the state (c, s0, s1, s2), its double arithmetic as the JS generator does it (builders/dropout-masks.ts' twin,
  ;; same values); keep a float32, kept = 1 / keep as a double.
  (func (export "dropout")
    (param $out i32) (param $n i32) (param $c f64) (param $s0 f64) (param $s1 f64) (param $s2 f64)
    (param $keep f64) (param $kept f64)
    (local $o i32) (local $end i32) (local $a f64) (local $whole f64) (local $t f64) (local $k f32) (local $one f32)
    (local.set $k (f32.demote_f64 (local.get $keep)))
    (local.set $one (f32.demote_f64 (local.get $kept)))
    (local.set $o (local.get $out))
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        ;; t = a + c * 2^-32 with c * 2^-32 < 2^-11: t's integer part is a's unless a's fraction is that close to
        ;; 1, so the next draw need not wait for this one's conversion
        (local.set $a (f64.mul (f64.const 2091639) (local.get $s0)))
        (local.set $whole (f64.floor (local.get $a)))
        (local.set $t (f64.add (local.get $a) (f64.mul (local.get $c) (f64.const 2.3283064365386963e-10))))
        (if (f64.lt (f64.sub (local.get $a) (local.get $whole)) (f64.const 0.999))
          (then (local.set $c (local.get $whole)))
          (else (local.set $c (f64.convert_i32_s (i32.trunc_f64_s (local.get $t))))))
        (local.set $s0 (local.get $s1))
        (local.set $s1 (local.get $s2))
        (local.set $s2 (f64.sub (local.get $t) (local.get $c)))
        (f32.store (local.get $o)
          (select (f32.const 0) (local.get $one)
            (f32.lt (f32.add (f32.demote_f64 (local.get $s2)) (local.get $k)) (f32.const 1))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $each))))

  ;; `dropout` for two streams at once, one per f64x2 lane: $n draws of stream 0 to $out0 and of stream 1 to $out1,
  ;; the values `dropout` writes for each. $state holds, lane 0 then lane 1 of each pair, (c, s0, s1, s2, keep, kept)
  ;; as twelve f64 (JS cannot pass a v128); each stream's (c, s0, s1, s2) after the draws is stored back there, to go
  ;; on from with `dropout`. One draw's chain of double operations is ~16 cycles long every third draw: a layer's
  ;; stream cannot go faster alone, two streams side by side share the wait. Both lanes take one path: the exact
  ;; integer part of t for both whenever either lane's a is that close to the next integer (see `dropout`).
  (func (export "dropout2") (param $out0 i32) (param $out1 i32) (param $n i32) (param $state i32)
    (local $c v128) (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $a v128) (local $whole v128)
    (local $t v128) (local $k v128) (local $one v128) (local $kept v128) (local $o i32) (local $end i32)
    (local.set $c (v128.load (local.get $state)))
    (local.set $s0 (v128.load offset=16 (local.get $state)))
    (local.set $s1 (v128.load offset=32 (local.get $state)))
    (local.set $s2 (v128.load offset=48 (local.get $state)))
    (local.set $k (f32x4.demote_f64x2_zero (v128.load offset=64 (local.get $state))))
    (local.set $kept (f32x4.demote_f64x2_zero (v128.load offset=80 (local.get $state))))
    (local.set $one (f32x4.splat (f32.const 1)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $a (f64x2.mul (f64x2.splat (f64.const 2091639)) (local.get $s0)))
        (local.set $whole (f64x2.floor (local.get $a)))
        (local.set $t
          (f64x2.add (local.get $a) (f64x2.mul (local.get $c) (f64x2.splat (f64.const 2.3283064365386963e-10)))))
        (if (v128.any_true (f64x2.ge (f64x2.sub (local.get $a) (local.get $whole)) (f64x2.splat (f64.const 0.999))))
          (then (local.set $c (f64x2.floor (local.get $t))))
          (else (local.set $c (local.get $whole))))
        (local.set $s0 (local.get $s1))
        (local.set $s1 (local.get $s2))
        (local.set $s2 (f64x2.sub (local.get $t) (local.get $c)))
        ;; kept where float32(s2) + keep >= 1, else 0 (lanes 0 and 1)
        (local.set $a
          (v128.andnot (local.get $kept)
            (f32x4.lt (f32x4.add (f32x4.demote_f64x2_zero (local.get $s2)) (local.get $k)) (local.get $one))))
        (f32.store (i32.add (local.get $out0) (local.get $o)) (f32x4.extract_lane 0 (local.get $a)))
        (f32.store (i32.add (local.get $out1) (local.get $o)) (f32x4.extract_lane 1 (local.get $a)))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $each)))
    (v128.store (local.get $state) (local.get $c))
    (v128.store offset=16 (local.get $state) (local.get $s0))
    (v128.store offset=32 (local.get $state) (local.get $s1))
    (v128.store offset=48 (local.get $state) (local.get $s2)))

  ;; Rows r..r+3 of one 8-column tile of a transposed source: out[q][j] = src[j * colBytes / 4 + q] for q < 4, j < 8
  ;; (eight loads of four, two 4 x 4 transposes, eight stores instead of 32 scalar copies).
  (func $packT4 (param $at i32) (param $colBytes i32) (param $o i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128) (local $t0 v128) (local $t1 v128)
    (local $t2 v128) (local $t3 v128) (local $half i32)
    (loop $halves
      (local.set $v0 (v128.load (local.get $at)))
      (local.set $v1 (v128.load (i32.add (local.get $at) (local.get $colBytes))))
      (local.set $v2 (v128.load (i32.add (local.get $at) (i32.shl (local.get $colBytes) (i32.const 1)))))
      (local.set $v3 (v128.load (i32.add (local.get $at) (i32.mul (local.get $colBytes) (i32.const 3)))))
      (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v0) (local.get $v1)))
      (local.set $t1 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v2) (local.get $v3)))
      (local.set $t2 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v0) (local.get $v1)))
      (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v2) (local.get $v3)))
      (v128.store (local.get $o)
        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1)))
      (v128.store offset=32 (local.get $o)
        (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1)))
      (v128.store offset=64 (local.get $o)
        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t2) (local.get $t3)))
      (v128.store offset=96 (local.get $o)
        (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t2) (local.get $t3)))
      ;; columns 4..7: the next four source rows, the upper half of each output row
      (local.set $at (i32.add (local.get $at) (i32.shl (local.get $colBytes) (i32.const 2))))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br_if $halves (local.tee $half (i32.sub (i32.const 1) (local.get $half))))))

  ;; B as gemm reads it: out[t][r][j] = src[r * rowStride + (t * 8 + j) * colStride] (in
  ;; floats) for t < ceil(cols / 8), r < rows, j < 8, zero past the last column; each tile
  ;; of out is outDepth rows deep (a caller packing a matrix in blocks of rows offsets out).
  (func (export "pack")
    (param $src i32) (param $rows i32) (param $cols i32) (param $rowStride i32) (param $colStride i32) (param $out i32)
    (param $outDepth i32)
    (local $t i32) (local $r i32) (local $j i32) (local $o i32) (local $at i32)
    (block $tilesDone
      (loop $tile
        (br_if $tilesDone (i32.ge_u (local.get $t) (local.get $cols)))
        (local.set $o (i32.add (local.get $out) (i32.shl (i32.mul (local.get $t) (local.get $outDepth)) (i32.const 2))))
        (local.set $r (i32.const 0))
        (block $rowsDone
          (loop $row
            (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
            (local.set $at
              (i32.add (local.get $src)
                (i32.shl
                  (i32.add (i32.mul (local.get $r) (local.get $rowStride))
                    (i32.mul (local.get $t) (local.get $colStride))) (i32.const 2))))
            ;; a transposed source (the input gradient's kernel^T): four rows at once, by 4 x 4 transposes
            (if
              (i32.and
                (i32.and (i32.eq (local.get $rowStride) (i32.const 1)) (i32.ne (local.get $colStride) (i32.const 1)))
                (i32.and (i32.le_u (i32.add (local.get $t) (i32.const 8)) (local.get $cols))
                  (i32.le_u (i32.add (local.get $r) (i32.const 4)) (local.get $rows))))
              (then
                (call $packT4 (local.get $at) (i32.shl (local.get $colStride) (i32.const 2)) (local.get $o))
                (local.set $o (i32.add (local.get $o) (i32.const 128)))
                (local.set $r (i32.add (local.get $r) (i32.const 4)))
                (br $row)))
            (if
              (i32.and (i32.eq (local.get $colStride) (i32.const 1))
                (i32.le_u (i32.add (local.get $t) (i32.const 8)) (local.get $cols)))
              (then
                (v128.store (local.get $o) (v128.load (local.get $at)))
                (v128.store offset=16 (local.get $o) (v128.load offset=16 (local.get $at))))
              (else
                (local.set $j (i32.const 0))
                (loop $lane
                  (f32.store (i32.add (local.get $o) (i32.shl (local.get $j) (i32.const 2)))
                    (if (result f32) (i32.lt_u (i32.add (local.get $t) (local.get $j)) (local.get $cols))
                      (then
                        (f32.load
                          (i32.add (local.get $at)
                            (i32.shl (i32.mul (local.get $j) (local.get $colStride)) (i32.const 2)))))
                      (else (f32.const 0))))
                  (br_if $lane (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 1))) (i32.const 8))))))
            (local.set $o (i32.add (local.get $o) (i32.const 32)))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $row)))
        (local.set $t (i32.add (local.get $t) (i32.const 8)))
        (br $tile))))
)
