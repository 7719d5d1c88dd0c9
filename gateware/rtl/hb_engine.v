// hb_engine: folded SC-SNN inference engine (docs/semantics.md, docs/gateware.md).
//
// PORT LIST (stable contract for hb_top; see also gateware/rtl/INTERFACES.md)
//
// Parameters
//   LANES      P, time steps per cycle; power of two, 16..256.
//   FAMILY     0 sim/generic, 1 ice40 (unified memory = 4 x SB_SPRAM256KA; needs LANES=32
//              and IMEM_BYTES+WMEM_BYTES = 131072), 2 ecp5, 3 artix7 (generic inferred RAM).
//   WMEM_BYTES WEIGHTS region size; IMEM_BYTES INPUT region size (both multiples of P/8).
//   HMEM_BITS  hidden spike buffer (sum of n_out*L over hidden layers), multiple of P.
//   MAX_L      largest L; MAX_LAYERS (<=4), MAX_N_IN (<=1024), MAX_N_OUT (<=256).
//
// Clock/reset: clk, rst (synchronous, active high; constant reset values).
//
// Byte port (link side; one access per cycle; IGNORED while busy=1 or cfg_busy=1):
//   mem_we      write mem_wdata to (mem_region, mem_addr)
//   mem_re      read (mem_region, mem_addr); mem_rvalid pulses exactly 2 cycles later
//               with mem_rdata (held until the next read). Out-of-range reads return 0,
//               out-of-range writes are dropped.
//   mem_region  0 CONFIG (160 bytes), 1 WEIGHTS, 2 INPUT (docs/protocol.md section 3)
//   A write to CONFIG clears cfg_valid (the device is unconfigured until cfg_commit).
//   cfg_commit  pulse after the last byte of a LOAD to CONFIG: starts validation.
//   cfg_busy    high from the cycle after cfg_commit until the verdict (163 cycles).
//   cfg_done    1-cycle pulse when cfg_busy falls; cfg_valid/cfg_error are final then.
//   cfg_valid   the decoded configuration is valid (protocol section 3.1 checks).
//   cfg_error   the last commit found an invalid configuration (-> ERROR BAD_ARG);
//               cleared by the next cfg_commit.
//   cfg_n_layers, cfg_L      decoded K and L (0 when not valid).
//   size_idx/size_data       combinational read of sizes[size_idx] (n_in[0], n_out[0..K-1]);
//                            0 for idx > K or when not valid.
//   n_out_last               n_out[K-1] (0 when not valid).
//
// Inference:
//   start        pulse; accepted only when busy=0, cfg_busy=0 and cfg_valid=1.
//                If start is sampled at cycle s: busy=1 in cycles s+1 .. s+N,
//                done=1 (one cycle) and busy=0 at cycle s+N+1, where N is the closed
//                busy-cycle formula of docs/gateware.md ("Engine timing").
//   result_class argmax of the last layer's counts, ties to the lowest index;
//                valid from done until the next start.
//   cnt_idx/cnt_data  spike count of last-layer neuron cnt_idx; cnt_data is registered,
//                valid 1 cycle after cnt_idx is presented (synchronous RAM read).
//
// Activity (virtual board power model; board tops leave them open):
//   act_syn   synapse-steps this cycle whose AND was 1 (0..P)
//   act_ops   synapse-steps evaluated this cycle (0 or P)
//   act_wmem  weight storage read this cycle (unified memory row fetch or row cache read)
//   act_imem  input/spike memory read or write this cycle
//   act_lif   a neuron update (one time step) this cycle
module hb_engine #(
    parameter integer LANES      = 32,
    parameter integer FAMILY     = 0,
    parameter integer WMEM_BYTES = 131072 - 25088,
    parameter integer IMEM_BYTES = 25088,
    parameter integer HMEM_BITS  = 32768,
    parameter integer MAX_L      = 512,
    parameter integer MAX_LAYERS = 4,
    parameter integer MAX_N_IN   = 1024,
    parameter integer MAX_N_OUT  = 256
) (
    input  wire        clk,
    input  wire        rst,
    // byte port
    input  wire        mem_we,
    input  wire        mem_re,
    input  wire [1:0]  mem_region,
    input  wire [19:0] mem_addr,
    input  wire [7:0]  mem_wdata,
    output reg  [7:0]  mem_rdata,
    output reg         mem_rvalid,
    // configuration
    input  wire        cfg_commit,
    output reg         cfg_busy,
    output reg         cfg_done,
    output reg         cfg_valid,
    output reg         cfg_error,
    output wire [7:0]  cfg_n_layers,
    output wire [15:0] cfg_L,
    input  wire [2:0]  size_idx,
    output wire [15:0] size_data,
    output wire [15:0] n_out_last,
    // inference
    input  wire        start,
    output reg         busy,
    output reg         done,
    output wire [7:0]  result_class,
    input  wire [7:0]  cnt_idx,
    output wire [15:0] cnt_data,
    // activity
    output wire [15:0] act_syn,
    output wire [15:0] act_ops,
    output wire        act_wmem,
    output wire        act_imem,
    output wire        act_lif
);
    // ------------------------------------------------------------------ constants
    localparam integer P     = LANES;
    localparam integer B     = P / 8;                 // bytes per memory word
    localparam integer LB    = $clog2(B);
    localparam integer LP    = $clog2(P);
    localparam integer UBYTES = IMEM_BYTES + WMEM_BYTES;
    localparam integer UDEPTH = UBYTES / B;
    localparam integer UAW   = $clog2(UDEPTH);
    localparam integer BAW   = UAW + LB + 1;           // unified byte address width (+1 spare)
    localparam integer HDEPTH = (HMEM_BITS / P) > 1 ? (HMEM_BITS / P) : 2;
    localparam integer HAW   = $clog2(HDEPTH);
    localparam integer NLOAD_MAX = (MAX_N_IN + B - 2) / B + 1;
    localparam integer CDEPTH = NLOAD_MAX;
    localparam integer CAW   = $clog2(CDEPTH) > 0 ? $clog2(CDEPTH) : 1;
    localparam integer AW    = $clog2(MAX_N_IN + 1) + 1;  // signed per-lane accumulator
    localparam integer CW    = $clog2(MAX_L + 1);         // spike counter
    localparam integer KW    = 11;                         // sizes (<= 1024)
    localparam integer RAW   = UAW > HAW ? UAW : HAW;      // input read address width
    localparam integer T_PAR = 5;                          // layer start cycles (w_offset)

    // states
    localparam [2:0] S_IDLE = 3'd0, S_LPAR = 3'd1, S_WLD = 3'd2, S_PASS = 3'd3,
                     S_DRAIN = 3'd4, S_FIN = 3'd5;

    // x < c for a constant c, written as logic: yosys maps a `<` against a constant to a
    // carry chain whose sum LUTs are unused (one logic cell per bit on the iCE40); as gates
    // the comparison folds into a few LUTs.
    function lt_c(input [31:0] x, input [31:0] c);
        integer i;
        reg eq;
        begin
            lt_c = 1'b0; eq = 1'b1;
            for (i = 31; i >= 0; i = i - 1) begin
                lt_c = lt_c | (eq & ~x[i] & c[i]);
                eq   = eq & ~(x[i] ^ c[i]);
            end
        end
    endfunction

    function [15:0] lfsr_step(input [15:0] s);
        lfsr_step = {s[14:0], s[15] ^ s[13] ^ s[12] ^ s[10]};
    endfunction

    // ------------------------------------------------------------------ config RAM
    reg  [7:0] cr_raddr;
    wire [7:0] cr_rdata;
    wire       port_ok = !busy && !cfg_busy;
    wire       cr_in   = lt_c({12'd0, mem_addr}, 32'd160);
    wire       cr_we   = port_ok && mem_we && mem_region == 2'd0 && cr_in;
    hb_ram_1r1w #(.W(8), .D(256)) u_cfg (.clk(clk), .we(cr_we), .waddr(mem_addr[7:0]),
        .wdata(mem_wdata), .raddr(cr_raddr), .rdata(cr_rdata));

    // ------------------------------------------------------------------ decoded config
    // Only what the sequencer and the ports need is kept, at the widths a valid configuration
    // can have; the layer blocks (parameters, w_offset) are read from the CONFIG RAM at the
    // start of each layer. Everything below is meaningful only while cfg_valid = 1.
    localparam integer NW = $clog2(MAX_N_OUT + 1);        // n_out width
    localparam integer SZMAX = (MAX_N_OUT < MAX_N_IN) ? MAX_N_OUT : MAX_N_IN;
    reg [2:0]    d_K;
    reg [CW-1:0] d_L;
    reg [KW-1:0] d_nin0;
    reg [NW-1:0] d_nout [0:3];
    integer q;

    // The size pair of layer mk (n_in, n_out), shared by the validator and the sequencer.
    reg  [1:0]    v_mk;
    wire [1:0]    mk = cfg_busy ? v_mk : k;
    wire [KW-1:0] mk_nin  = (mk == 2'd0) ? d_nin0 : {{(KW-NW){1'b0}}, d_nout[mk - 2'd1]};
    wire [NW-1:0] mk_nout = d_nout[mk];

    // Validator: one pass over bytes 0..159 (v_a = the address whose data is in cr_rdata),
    // checking each field as it arrives (protocol section 3.1). Products come from registered
    // multipliers (DSPs) fed by decoded registers that settled cycles earlier: n_in[0]*L at
    // byte 20, the layer-k products at offset 24 of layer block k (the sizes are bytes 8..17).
    reg [7:0]  v_cnt;                 // read address / progress
    reg        v_rd;                  // data of address v_cnt-1 arriving
    reg        v_ok;
    reg [7:0]  v_lo;                  // low byte of a u16 field
    reg [23:0] v_wo;                  // w_offset bits 23:0 of the current layer block
    reg        v_wohi;                // w_offset bits 31:24 non-zero
    reg [CW+NW+1:0] v_hid;            // hidden spike bits (exact while v_ok)
    reg [KW+NW-1:0] v_p1;             // synapses of layer mk
    reg [CW+NW-1:0] v_p2;             // spike bits of layer mk
    reg [KW+CW-1:0] v_p0;             // input bits
    wire [7:0]  v_a   = v_cnt - 8'd1;
    wire [15:0] v_u16 = {cr_rdata, v_lo};
    wire [1:0]  v_blk = v_a[6:5] - 2'd1;                      // layer block of v_a (>= 32)
    wire        v_inK = ({1'b0, v_blk} < d_K);                // that layer exists
    wire [2:0]  v_szk = v_a[3:1] - 3'd5;                      // n_out index of bytes 10..17
    wire [24:0] v_wend;                                       // w_offset + layer weight bytes

    assign v_wend = {1'b0, v_wo} + {{(25-KW-NW){1'b0}}, v_p1};
    wire   v_hid_ok = lt_c({{(32-CW-NW-2){1'b0}}, v_hid}, HMEM_BITS + 1);
    always @(posedge clk) begin
        v_p0 <= d_nin0 * d_L;
        v_p1 <= mk_nin * mk_nout;
        v_p2 <= mk_nout * d_L;
    end

    always @(posedge clk) begin
        cfg_done <= 1'b0;
        if (rst) begin
            cfg_busy <= 1'b0; cfg_valid <= 1'b0; cfg_error <= 1'b0;
            v_cnt <= 8'd0; v_rd <= 1'b0; v_ok <= 1'b0; v_hid <= 0; v_lo <= 8'd0;
            v_wo <= 24'd0; v_wohi <= 1'b0; v_mk <= 2'd0;
            d_K <= 3'd0; d_L <= 0; d_nin0 <= 0;
            for (q = 0; q < 4; q = q + 1) d_nout[q] <= 0;
        end else if (!cfg_busy) begin
            if (cr_we) cfg_valid <= 1'b0;
            if (cfg_commit && port_ok) begin
                cfg_busy <= 1'b1; cfg_valid <= 1'b0; cfg_error <= 1'b0;
                v_cnt <= 8'd0; v_rd <= 1'b0; v_ok <= 1'b1; v_hid <= 0;
            end
        end else if (v_cnt != 8'd162) begin
            v_rd  <= (v_cnt < 8'd160);
            v_cnt <= v_cnt + 8'd1;
            if (v_rd) begin
                v_lo <= cr_rdata;
                if (v_a == 8'd0) begin
                    d_K <= cr_rdata[2:0];
                    if (cr_rdata == 8'd0 || !lt_c({24'd0, cr_rdata}, MAX_LAYERS + 1)) v_ok <= 1'b0;
                end
                if (v_a == 8'd3) begin
                    d_L <= v_u16[CW-1:0];
                    if (v_u16 == 16'd0 || v_u16[LP-1:0] != 0 || !lt_c({16'd0, v_u16}, MAX_L + 1)) v_ok <= 1'b0;
                end
                if (v_a == 8'd9) begin
                    d_nin0 <= v_u16[KW-1:0];
                    if (v_u16 == 16'd0 || !lt_c({16'd0, v_u16}, MAX_N_IN + 1)) v_ok <= 1'b0;
                end
                if (v_a[7:4] == 4'd0 ? (v_a[3] & v_a[0] & (v_a[2] | v_a[1])) : (v_a == 8'd17)) begin   // 11 13 15 17
                    d_nout[v_szk[1:0]] <= v_u16[NW-1:0];
                    if (v_szk < {1'b0, d_K} && (v_u16 == 16'd0 || !lt_c({16'd0, v_u16}, SZMAX + 1))) v_ok <= 1'b0;
                end
                if (v_a == 8'd20 && !lt_c({{(32-KW-CW){1'b0}}, v_p0}, IMEM_BYTES * 8 + 1)) v_ok <= 1'b0;
                if (v_a >= 8'd32) begin
                    case (v_a[4:0])
                        5'd0:  v_mk <= v_blk;                // products valid from offset 2
                        5'd20: v_wo[7:0]   <= cr_rdata;
                        5'd21: v_wo[15:8]  <= cr_rdata;
                        5'd22: v_wo[23:16] <= cr_rdata;
                        5'd23: v_wohi      <= (cr_rdata != 8'd0);
                        5'd24: if (v_inK) begin
                            if (v_wohi || !lt_c({7'd0, v_wend}, WMEM_BYTES + 1)) v_ok <= 1'b0;
                            if ({1'b0, v_blk} + 3'd1 < d_K) v_hid <= v_hid + v_p2;
                        end
                        default: ;
                    endcase
                end
            end
        end else begin
            // verdict
            cfg_busy  <= 1'b0;
            cfg_done  <= 1'b1;
            cfg_valid <= v_ok && v_hid_ok;
            cfg_error <= !(v_ok && v_hid_ok);
        end
    end

    assign cfg_n_layers = cfg_valid ? {5'd0, d_K} : 8'd0;
    assign cfg_L        = cfg_valid ? {{(16-CW){1'b0}}, d_L} : 16'd0;
    assign size_data    = (!cfg_valid || size_idx > {1'b0, d_K}) ? 16'd0 :
                          (size_idx == 3'd0) ? {{(16-KW){1'b0}}, d_nin0} :
                          {{(16-NW){1'b0}}, d_nout[size_idx[1:0] - 2'd1]};
    assign n_out_last   = cfg_valid ? {{(16-NW){1'b0}}, d_nout[d_K[1:0] - 2'd1]} : 16'd0;

    // ------------------------------------------------------------------ engine state
    reg [2:0]  st;
    reg [1:0]  k;
    reg [KW-1:0] l_nin;               // n_in of the current layer
    reg [KW-1:0] l_ninm1;             // n_in - 1
    reg [KW-1:0] l_perm1;             // pass length max(n_in + 1, P), minus 1
    reg [CW-1:0] l_cplm1;             // L/P - 1
    reg [8:0]    l_noutm1;            // n_out - 1
    reg [KW-1:0] l_nload;             // row words fetched per neuron
    reg        l_last;                // current layer is the last
    reg [CW-1:0] l_cpl;               // chunks per neuron, L/P
    // Layer parameters: nine copies of the CONFIG RAM as 128 x 16-bit words, written with
    // it; copy i reads word i of layer block k and holds it on its output for the whole
    // layer (nothing writes CONFIG while busy). The parameters live in block RAM output
    // registers instead of ~140 logic cells. Valid from the cycle after k changes.
    localparam integer NPRM = 9;      // wt_seed wi_seed i_scale v_th v_reset v_rest leak gain refractory
    wire [16*NPRM-1:0] prm;
    genvar gi;
    generate
        for (gi = 0; gi < NPRM; gi = gi + 1) begin : g_prm
            localparam [3:0] WI = gi;
            (* no_rw_check *)
            reg [15:0] pm [0:127];
            reg [15:0] pq;
            always @(posedge clk) begin
                if (cr_we && !mem_addr[0]) pm[mem_addr[7:1]][7:0]  <= mem_wdata;
                if (cr_we &&  mem_addr[0]) pm[mem_addr[7:1]][15:8] <= mem_wdata;
                pq <= pm[{k + 3'd1, WI}];
            end
            assign prm[16*gi +: 16] = pq;
        end
    endgenerate
    wire [15:0] p_wt     = prm[15:0];
    wire [15:0] p_wi     = prm[31:16];
    wire [15:0] p_iscale = prm[47:32];
    wire [15:0] p_vth    = prm[63:48];
    wire [15:0] p_vreset = prm[79:64];
    wire [15:0] p_vrest  = prm[95:80];
    wire [15:0] p_leak   = prm[111:96];
    wire [15:0] p_gain   = prm[127:112];
    wire [7:0]  p_refr   = prm[135:128];
    reg [11:0] cyc;
    reg [8:0]  j;
    reg [CW-1:0] c;
    reg [BAW-1:0] a0;                 // unified byte address of the current weight row
    reg [RAW-1:0] iaddr;              // next input word address within a pass
    reg [HAW:0]  rd_base, lay_wstart, sp_wptr;
    reg [15:0] qreg, wcur;

    wire [CW-1:0] cpl_cfg = d_L >> LP;

    wire        s0_first = (cyc == 12'd0);

    // Weight-bit lanes. Lane p compares x_p = W_k(cP+p)[15:9] XOR Q_k(i)[15:9] with the
    // magnitude. x is kept in one 7-bit register per lane (r) that is updated by XOR deltas:
    // r = expand(sx) ^ qx, where sx is the W state of the chunk and qx the q7 of the input
    // currently held. Each issue cycle applies expand(sx ^ s_new) ^ (qx ^ q_new); the chunk
    // expansion is linear over GF(2), so one network on the 16-bit difference serves all
    // lanes (window bit m = gd[m], lane p bit b = gd[p + 6 - b]), and between chunks the
    // difference is 0. The per-lane update is then a 3-input XOR that shares its logic cell
    // with the compare's carry on the iCE40 (see g_lane below).
    // g[m] = bit sequence of the LFSR from a state, S^p(s)[b] = g[p + 15 - b].
    reg  [15:0] w_use;
    reg  [P+15:0] g;
    reg  [15:0] w_next;
    reg  [15:0] sx;                   // W state currently expanded into r
    reg  [6:0]  qx;                   // q7 currently XORed into r
    reg  [15:0] xd;                   // state difference applied this cycle
    reg  [P+15:0] gd;                 // its expansion
    integer m;
    always @* begin
        w_use = (c == 0) ? p_wt : wcur;
        for (m = 0; m < 16; m = m + 1) g[m] = w_use[15 - m];
        for (m = 16; m < P + 16; m = m + 1) g[m] = g[m-16] ^ g[m-14] ^ g[m-13] ^ g[m-11];
        for (m = 0; m < 16; m = m + 1) w_next[m] = g[P + 15 - m];
    end
    always @* begin
        xd = s0_first ? (sx ^ w_use) : 16'd0;
        for (m = 0; m < 16; m = m + 1) gd[m] = xd[15 - m];
        for (m = 16; m < P + 16; m = m + 1) gd[m] = gd[m-16] ^ gd[m-14] ^ gd[m-13] ^ gd[m-11];
    end

    // stage 0 (issue) signals
    reg         iss;                  // the pass still issues inputs (cyc < n_in)
    wire        s0_v     = (st == S_PASS) && iss;
    wire        at_last_in = (cyc[KW-1:0] == l_ninm1);
    wire        wld_end  = (cyc == {1'b0, l_nload});
    wire [RAW-1:0] s0_iaddr = s0_first ? ((k == 2'd0) ? {{(RAW-CW){1'b0}}, c} : rd_base + c) : iaddr;
    wire [15:0] s0_q     = s0_first ? p_wi : qreg;
    wire [KW+LB:0] s0_bi = {{(KW+1){1'b0}}, a0[LB-1:0]} + cyc[KW-1:0];
    wire        wld_rd   = (st == S_WLD) && !wld_end;

    // unified memory port
    reg  [UAW-1:0] um_addr;
    reg            um_we;
    reg  [B-1:0]   um_be;
    wire [P-1:0]   um_rdata;
    wire [BAW-1:0] bp_uaddr = (mem_region == 2'd1) ? IMEM_BYTES + mem_addr : mem_addr;
    wire bp_in_range = (mem_region == 2'd1 && lt_c({12'd0, mem_addr}, WMEM_BYTES)) ||
                       (mem_region == 2'd2 && lt_c({12'd0, mem_addr}, IMEM_BYTES));
    always @* begin
        um_we = 1'b0;
        um_be = {B{1'b0}};
        if (st == S_WLD)              // (also in WLD's last, idle cycle: keeps wld_end off this path)
            um_addr = a0[BAW-1:LB] + cyc;
        else if (s0_v && k == 2'd0)
            um_addr = s0_iaddr[UAW-1:0];
        else begin
            um_addr = bp_uaddr[BAW-1:LB];
            um_we = port_ok && mem_we && bp_in_range;
            um_be = {{(B-1){1'b0}}, 1'b1} << bp_uaddr[LB-1:0];
        end
    end
    hb_umem #(.W(P), .D(UDEPTH), .FAMILY(FAMILY)) u_umem (.clk(clk), .addr(um_addr),
        .we(um_we), .be(um_be), .wdata({B{mem_wdata}}), .rdata(um_rdata));

    // row cache
    reg            wld_v1;
    reg [CAW-1:0]  wld_a1;
    wire [P-1:0]   rc_rdata;
    hb_ram_1r1w #(.W(P), .D(CDEPTH)) u_rowc (.clk(clk), .we(wld_v1), .waddr(wld_a1),
        .wdata(um_rdata), .raddr(s0_bi[LB+CAW-1:LB]), .rdata(rc_rdata));

    // hidden spike buffer
    reg            hb_we;
    reg [HAW-1:0]  hb_waddr;
    reg [P-1:0]    sword;            // spike word being collected (LIF stage L3)
    wire [P-1:0]   hb_rdata;
    hb_ram_1r1w #(.W(P), .D(HDEPTH)) u_hbuf (.clk(clk), .we(hb_we), .waddr(hb_waddr),
        .wdata(sword), .raddr(s0_iaddr[HAW-1:0]), .rdata(hb_rdata));

    // spike counts of the last layer
    reg            ct_we;
    reg [7:0]      ct_waddr;
    wire [15:0]    ct_wdata;         // = cnt: written the cycle after a neuron's last step
    hb_ram_1r1w #(.W(16), .D(256)) u_cnt (.clk(clk), .we(ct_we), .waddr(ct_waddr),
        .wdata(ct_wdata), .raddr(cnt_idx), .rdata(cnt_data));

    // ------------------------------------------------------------------ stage 1 (accumulate)
    reg         s1_v, s1_last, s1_cfirst, s1_clast, s1_l0;
    reg [LB-1:0] s1_lane;
    reg [AW*P-1:0] acc, shadow;
    wire [P-1:0] s1_in = s1_l0 ? um_rdata : hb_rdata;
    wire [7:0]  s1_w  = rc_rdata[8*s1_lane +: 8];
    wire [6:0]  dq    = qx ^ s0_q[15:9];
    reg  [7*P-1:0] r;                 // x_p for the input in stage 1 (see above)
    wire [7*P-1:0] r_n;               // r after this cycle's deltas
    wire [P-1:0] lt;                  // x_p < m
    reg  [P-1:0] hit;
    reg  [AW*P-1:0] acc_n;
    reg  [15:0] n_hit;
    genvar gp, gb;
    generate
        for (gp = 0; gp < P; gp = gp + 1) begin : g_lane
            if (FAMILY == 1) begin : g_ice40
                // One logic cell per bit: LUT r ^ delta ^ dq into the r flip-flop, and the
                // carry of x + ~m + 1 (x >= m) on the same cell's I1/I2 inputs.
                wire [7:0] cy;
                assign cy[0] = 1'b1;
                for (gb = 0; gb < 7; gb = gb + 1) begin : g_bit
                    wire nm = ~s1_w[gb];
                    SB_LUT4 #(.LUT_INIT(16'h9966)) u_lut (.I0(gd[gp + 6 - gb]), .I1(r[7*gp + gb]),
                        .I2(nm), .I3(dq[gb]), .O(r_n[7*gp + gb]));
                    SB_CARRY u_cy (.I0(r[7*gp + gb]), .I1(nm), .CI(cy[gb]), .CO(cy[gb + 1]));
                end
                assign lt[gp] = ~cy[7];
            end else begin : g_gen
                for (gb = 0; gb < 7; gb = gb + 1) begin : g_bit
                    assign r_n[7*gp + gb] = r[7*gp + gb] ^ gd[gp + 6 - gb] ^ dq[gb];
                end
                assign lt[gp] = r[7*gp +: 7] < s1_w[6:0];
            end
        end
    endgenerate
    integer p;
    always @* begin
        n_hit = 16'd0;
        for (p = 0; p < P; p = p + 1) begin
            hit[p] = s1_in[p] && lt[p];
            acc_n[AW*p +: AW] = acc[AW*p +: AW] + {{(AW-1){hit[p] & s1_w[7]}}, hit[p]};
            n_hit = n_hit + {15'd0, s1_v & hit[p]};
        end
    end

    // ------------------------------------------------------------------ LIF pipeline
    reg         lact, sh_cfirst, sh_clast, sh_ld, sl_cfirst, sl_clast;
    reg [LP-1:0] lcnt;
    // L1
    reg         l1_v, l1_nf, l1_end, l1_fin;
    reg [15:0]  l1_i;
    // L2
    reg         l2_v, l2_nf, l2_end, l2_fin;
    reg [23:0]  l2_k2;
    reg [23:0]  p_rl;                 // (v_rest * leak) mod 2^24
    // L3
    reg         l3_v, l3_nf, l3_end, l3_fin, l3_spk;
    // neuron state
    reg [15:0]  v;
    reg [7:0]   rc;
    reg [CW-1:0] cnt;
    reg [8:0]   jl;
    reg [CW-1:0] best;
    reg [7:0]   cls;

    wire signed [AW-1:0]   l0_d = shadow[AW-1:0];
    wire signed [AW+15:0]  l0_m = l0_d * $signed(p_iscale);
    wire        l0_ovf = !(&l0_m[AW+15:15]) && (|l0_m[AW+15:15]);   // outside int16
    wire [15:0] l0_sat = !l0_ovf ? l0_m[15:0] : l0_m[AW+15] ? 16'h8000 : 16'h7fff;
    wire signed [31:0] l1_m = $signed(l1_i) * $signed(p_gain);
    wire signed [31:0] l_rl = $signed(p_vrest) * $signed(p_leak);
    // recomputed every cycle (the operands are fixed during a layer), so the product can stay
    // in the DSP's output register
    always @(posedge clk) p_rl <= l_rl[23:0];
    // Membrane update, rearranged for a short loop path: with RL = v_rest*leak (per layer)
    // and K2 = dvin*256 + RL (previous stage),
    //   v + ((v_rest - v)*leak >>> 8) + dvin  ==  bits [23:8] of (v*256 + K2 - v*leak)
    // (exact, since v*256 and dvin*256 are multiples of 256). A neuron starts at v = v_rest,
    // rc = 0 (set at the layer start and after each neuron's last step), where the leak
    // term is 0 and the same formula gives v_rest + dvin.
    wire signed [31:0] l2_m = $signed(v) * $signed(p_leak);
    wire [23:0] l2_t  = {v, 8'd0} + l2_k2 - l2_m[23:0];
    wire [15:0] l2_vn = l2_t[23:8];
    assign ct_wdata     = {{(16-CW){1'b0}}, cnt};
    assign result_class = cls;        // changes only in the last layer of the next inference
    wire [CW-1:0] l3_cnt_n = (l3_nf ? {CW{1'b0}} : cnt) + {{(CW-1){1'b0}}, l3_spk};
    wire [P-1:0]  l3_sword_n = {l3_spk, sword[P-1:1]};
    wire        lif_idle = !s1_v && !sh_ld && !lact && !l1_v && !l2_v && !l3_v;

    // ------------------------------------------------------------------ byte-port reads
    reg        br_v1;
    reg [1:0]  br_reg1;
    reg [LB-1:0] br_lane1;
    reg        br_ok1;

    always @(posedge clk) begin
        // byte-port reads: address in cycle 0, memory data in cycle 1, mem_rdata in cycle 2
        mem_rvalid <= 1'b0;
        br_v1 <= 1'b0;
        if (rst) begin
            mem_rdata <= 8'd0;
        end else begin
            br_v1    <= port_ok && mem_re;
            br_reg1  <= mem_region;
            br_lane1 <= bp_uaddr[LB-1:0];
            br_ok1   <= (mem_region == 2'd0) ? cr_in : bp_in_range;
            if (br_v1) begin
                mem_rvalid <= 1'b1;
                mem_rdata  <= !br_ok1 ? 8'd0 : (br_reg1 == 2'd0) ? cr_rdata : um_rdata[8*br_lane1 +: 8];
            end
        end
    end

    // config RAM read address: validator, layer parameter loader, or byte port
    always @* begin
        if (cfg_busy)             cr_raddr = v_cnt;
        else if (st == S_LPAR)    cr_raddr = 8'd52 + {1'b0, k, 5'd0} + cyc[7:0];   // w_offset
        else                      cr_raddr = mem_addr[7:0];
    end

    // ------------------------------------------------------------------ main sequencer
    integer ma;
    wire [KW-1:0] nin_k  = mk_nin;
    wire [8:0]    nout_k = {{(9-NW){1'b0}}, mk_nout};

    always @(posedge clk) begin
        done  <= 1'b0;
        hb_we <= 1'b0;
        ct_we <= 1'b0;
        if (rst) begin
            st <= S_IDLE; busy <= 1'b0; iss <= 1'b0;
            k <= 2'd0; cyc <= 12'd0; j <= 9'd0; c <= {CW{1'b0}};
            s1_v <= 1'b0; lact <= 1'b0; l1_v <= 1'b0; l2_v <= 1'b0; l3_v <= 1'b0;
            wld_v1 <= 1'b0; sp_wptr <= 0; rd_base <= 0; lay_wstart <= 0;
            l_nin <= 0; l_ninm1 <= 0; l_perm1 <= 0; l_cplm1 <= 0; l_noutm1 <= 0; l_nload <= 0; l_last <= 1'b0; l_cpl <= 0;
            a0 <= 0; iaddr <= 0; qreg <= 16'd0; wcur <= 16'd0;
            r <= 0; sx <= 16'd0; qx <= 7'd0; acc <= 0;
            v <= 16'd0; rc <= 8'd0; sword <= 0; cnt <= 0; jl <= 9'd0; best <= 0; cls <= 8'd0;
            lcnt <= 0; sh_cfirst <= 1'b0; sh_clast <= 1'b0; sh_ld <= 1'b0; sl_cfirst <= 1'b0; sl_clast <= 1'b0;
        end else begin
            // ---------------- row cache fill pipeline
            wld_v1 <= wld_rd;
            wld_a1 <= cyc[CAW-1:0];

            // ---------------- stage 0 -> stage 1
            s1_v      <= s0_v;
            s1_last   <= at_last_in;
            s1_cfirst <= (c == 0);
            s1_clast  <= (c == l_cplm1);
            s1_l0     <= (k == 2'd0);
            s1_lane   <= s0_bi[LB-1:0];
            if (s0_v) begin
                iaddr <= s0_iaddr + l_cpl;
                qreg  <= lfsr_step(s0_q);
                r     <= r_n;
                qx    <= s0_q[15:9];
                if (s0_first) begin
                    sx     <= w_use;
                    wcur   <= w_next;
                end
            end

            // ---------------- stage 1: accumulate, hand the chunk to the LIF
            // The cycle after a pass's last input is a bubble in stage 1 (passes last at
            // least n_in + 1 cycles): the shadow takes the finished sums from acc and acc
            // restarts from 0. So acc_n feeds only acc (iCE40: adder, carry and flip-flop
            // in one logic cell per bit) and no per-bit clear sits in the adder.
            sh_ld <= s1_v && s1_last;
            sl_cfirst <= s1_cfirst;
            sl_clast  <= s1_clast;
            if (sh_ld) acc <= {AW*P{1'b0}};
            else if (s1_v) acc <= acc_n;
            if (lact) begin
                shadow <= shadow >> AW;
                lcnt   <= lcnt + 1'b1;
                if (lcnt == P - 1) lact <= 1'b0;
            end
            if (sh_ld) begin
                shadow    <= acc;
                sh_cfirst <= sl_cfirst;
                sh_clast  <= sl_clast;
                lact      <= 1'b1;
                lcnt      <= 0;
            end

            // ---------------- LIF L0: current
            l1_v   <= lact;
            l1_nf  <= sh_cfirst && lcnt == 0;
            l1_end <= (lcnt == P - 1);
            l1_fin <= sh_clast && (lcnt == P - 1);
            l1_i   <= l0_sat;
            // L1: gain
            l2_v    <= l1_v;
            l2_nf   <= l1_nf;
            l2_end  <= l1_end;
            l2_fin  <= l1_fin;
            l2_k2   <= {l1_m[23:8], 8'd0} + p_rl;
            // L2: membrane update
            l3_v   <= l2_v;
            l3_nf  <= l2_nf;
            l3_end <= l2_end;
            l3_fin <= l2_fin;
            l3_spk <= 1'b0;
            if (l2_v) begin
                if (rc != 8'd0) begin
                    rc <= rc - 8'd1; v <= p_vrest;
                end else if ($signed(l2_vn) >= $signed(p_vth)) begin
                    l3_spk <= 1'b1; v <= p_vreset; rc <= p_refr;
                end else begin
                    v <= l2_vn; rc <= 8'd0;
                end
                if (l2_fin) begin             // the neuron's last step: the next one starts
                    v <= p_vrest; rc <= 8'd0;
                end
            end
            // L3: collect spikes, write spike words and counts
            if (l3_v) begin
                sword <= l3_sword_n;
                cnt   <= l3_cnt_n;
                if (l3_end && !l_last) begin
                    // written the next cycle, when sword holds the finished word (a new
                    // word's first bit may enter sword in that same cycle, after the write)
                    hb_we    <= 1'b1;
                    hb_waddr <= sp_wptr[HAW-1:0];
                    sp_wptr  <= sp_wptr + 1'b1;
                end
                if (l3_fin) begin
                    jl <= jl + 9'd1;
                    if (l_last) begin
                        ct_we    <= 1'b1;
                        ct_waddr <= jl[7:0];
                        if (jl == 9'd0 || l3_cnt_n > best) begin
                            best <= l3_cnt_n;
                            cls  <= jl[7:0];
                        end
                    end
                end
            end

            // ---------------- sequencer
            case (st)
            S_IDLE: begin
                if (start && cfg_valid && !cfg_busy) begin
                    st <= S_LPAR; busy <= 1'b1; k <= 2'd0; cyc <= 12'd0;
                    sp_wptr <= 0; lay_wstart <= 0;
                end
            end
            S_LPAR: begin
                cyc <= cyc + 12'd1;
                // w_offset bytes 20..22 arrive in cycles 1..3 (a valid offset is < 2^BAW)
                for (ma = 0; ma < BAW; ma = ma + 1)
                    if (cyc[2:0] == 3'd1 + ma / 8) a0[ma] <= cr_rdata[ma % 8];
                if (cyc == T_PAR - 1) begin
                    l_nin   <= nin_k;
                    l_ninm1 <= nin_k - 1'b1;
                    l_noutm1 <= nout_k - 1'b1;
                    l_perm1 <= !lt_c({{(32-KW){1'b0}}, nin_k}, P) ? nin_k : P[KW-1:0] - 1'b1;   // max(n_in + 1, P) - 1
                    l_cplm1 <= cpl_cfg - 1'b1;
                    l_nload <= ((nin_k + B - 2) >> LB) + 1'b1;
                    l_last  <= ({1'b0, k} + 3'd1 == d_K);
                    l_cpl   <= cpl_cfg;
                    a0      <= a0 + IMEM_BYTES;
                    rd_base <= lay_wstart;
                    lay_wstart <= sp_wptr;
                    j <= 9'd0; c <= {CW{1'b0}}; jl <= 9'd0;
                    v <= p_vrest; rc <= 8'd0;
                    cyc <= 12'd0;
                    st  <= S_WLD;
                end
            end
            S_WLD: begin
                cyc <= cyc + 12'd1;
                if (wld_end) begin
                    cyc <= 12'd0; c <= {CW{1'b0}}; st <= S_PASS; iss <= 1'b1;
                end
            end
            S_PASS: begin
                cyc <= cyc + 12'd1;
                if (at_last_in) iss <= 1'b0;        // n_in <= l_perm1: never the same cycle
                if (cyc[KW-1:0] == l_perm1) begin
                    cyc <= 12'd0;
                    iss <= 1'b1;                     // next pass (unused if the layer or neuron ends)
                    if (c == l_cplm1) begin
                        c <= {CW{1'b0}};
                        if (j == l_noutm1) begin
                            st <= S_DRAIN;
                        end else begin
                            j  <= j + 9'd1;
                            a0 <= a0 + l_nin;
                            st <= S_WLD;
                        end
                    end else begin
                        c <= c + 1'b1;
                    end
                end
            end
            S_DRAIN: begin
                if (lif_idle) begin
                    cyc <= 12'd0;
                    if (l_last) st <= S_FIN;
                    else begin
                        k  <= k + 2'd1;
                        st <= S_LPAR;
                    end
                end
            end
            S_FIN: begin
                busy <= 1'b0;
                done <= 1'b1;
                st   <= S_IDLE;
            end
            default: st <= S_IDLE;
            endcase
        end
    end

    // ------------------------------------------------------------------ activity
    assign act_ops  = s1_v ? P : 16'd0;
    assign act_syn  = n_hit;
    assign act_wmem = wld_rd || s0_v;
    assign act_imem = s0_v || hb_we || (port_ok && mem_we && mem_region == 2'd2 && lt_c({12'd0, mem_addr}, IMEM_BYTES));
    assign act_lif  = l2_v;
endmodule
