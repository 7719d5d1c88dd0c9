// hb_cmd -- the command dispatcher of the link side (docs/protocol.md §3-4).
//
// Three parts:
//  * RX side: follows hb_frame_rx events. Captures the first 7 payload bytes (the arguments)
//    and writes LOAD / STREAM data bytes straight into the engine's byte port as they
//    arrive, once region and range are known to be valid and the engine is idle. The frame
//    CRC is checked only at the end: a frame with a bad CRC leaves the bytes it wrote in
//    place (at the offsets the frame named); the host's retry of the same idempotent request
//    overwrites them. A LOAD to CONFIG is committed (cfg_commit) only after a good CRC.
//    At the end of a frame (or on a receive error) one request record is queued (1 deep;
//    a record arriving while one is still queued is dropped -- the host sends one request
//    at a time, so only garbage can do this).
//  * Response FSM: pops a record, checks type / length / arguments, runs the command and
//    sends exactly one frame (response or ERROR). While the engine computes (INFER/BATCH)
//    every new request is answered ERROR(BUSY) at once (errors from the receiver keep their
//    own reason) and the result is sent when the computation ends.
//  * Payload fetch: frame_tx pulls payload bytes by index. Fixed fields live in one 256-byte
//    "value RAM" (one EBR) laid out like the responses, so a byte is RAM[base | idx]; READ
//    data and identify sizes come from the engine's byte port, spike counts from its count
//    port, and a few small fields (error reason/type, counts, configured/K/L) from registers.
//  * Value RAM jobs: counters (§4.4), stamps and results are written into the RAM by a
//    byte-serial job engine (read-modify-write, 2 cycles per byte, one 8-bit adder): one
//    pending bit per job, lowest index first. Events are far apart (>= one UART byte) so a
//    pending bit never needs to count twice. Wide values (stamps, busy count) are rotated
//    through their low byte while they are copied.
// Counters (§4.4): frames_ok counts frames whose header and CRC were good (a good frame can
// still be rejected: frames_rejected counts UNKNOWN_TYPE, BAD_LENGTH, BAD_ARG, BUSY,
// NOT_CONFIGURED answers). busy_cycles adds the busy cycles of every INFER/BATCH when it
// completes. Range checks are done once, on the receive side.
`default_nettype none
module hb_cmd #(
    parameter integer CLK_HZ     = 24_000_000,
    parameter integer LANES      = 32,
    parameter integer FAMILY     = 1,
    parameter [31:0]  BUILD_HASH = 32'h0,
    parameter integer WMEM_BYTES = 131072 - 25088,
    parameter integer IMEM_BYTES = 25088,
    parameter integer MAX_L      = 512,
    parameter integer MAX_LAYERS = 4,
    parameter integer MAX_N_IN   = 1024,
    parameter integer MAX_N_OUT  = 256,
    parameter integer HMEM_BITS  = 0,
    parameter [15:0]  CAPS       = 16'h000F,
    parameter integer CFG_WAIT   = 4095    // cycle budget for the engine's config verdict
) (
    input  wire        clk,
    input  wire        rst,
    input  wire [47:0] cycle,
    // frame receiver events
    input  wire        rx_hdr_valid,
    input  wire [7:0]  rx_type,
    input  wire [7:0]  rx_seq,
    input  wire [15:0] rx_len,
    input  wire        rx_pl_valid,
    input  wire [7:0]  rx_pl_data,
    input  wire        rx_end_valid,
    input  wire        rx_end_crc_ok,
    input  wire        rx_err_valid,
    input  wire [7:0]  rx_err_reason,
    input  wire [7:0]  rx_err_type,
    input  wire [7:0]  rx_err_seq,
    input  wire        rx_garbage,
    // frame transmitter
    output reg         tx_start,
    output reg  [7:0]  tx_type,
    output reg  [7:0]  tx_seq,
    output reg  [15:0] tx_len,
    input  wire        tx_busy,
    input  wire        tx_pl_req,
    input  wire [15:0] tx_pl_idx,
    output reg         tx_pl_ack,
    output reg  [7:0]  tx_pl_data,
    // engine
    output wire        mem_we,
    output wire        mem_re,
    output wire [1:0]  mem_region,
    output wire [19:0] mem_addr,
    output wire [7:0]  mem_wdata,
    input  wire [7:0]  mem_rdata,
    input  wire        mem_rvalid,
    output reg         cfg_commit,
    input  wire        cfg_done,
    input  wire        cfg_valid,
    input  wire        cfg_error,
    input  wire [7:0]  cfg_n_layers,
    input  wire [15:0] cfg_L,
    output wire [2:0]  size_idx,
    input  wire [15:0] size_data,
    output reg         eng_start,
    input  wire        eng_busy,
    input  wire        eng_done,
    input  wire [7:0]  result_class,
    output reg  [7:0]  cnt_idx,
    input  wire [15:0] cnt_data,
    input  wire [15:0] n_out_last,
    // status
    output reg         err_pulse        // an ERROR frame was sent (LED)
);
    // ---------------------------------------------------------------- constants
    localparam [7:0] T_IDENTIFY = 8'h01, T_LOAD = 8'h02, T_READ = 8'h03, T_STREAM = 8'h04,
                     T_INFER = 8'h05, T_BATCH = 8'h06, T_COUNTERS = 8'h07, T_RESET = 8'h08;
    localparam [7:0] E_BAD_CRC = 8'd2, E_UNKNOWN = 8'd5, E_BAD_LEN = 8'd6,
                     E_BAD_ARG = 8'd7, E_NOT_CFG = 8'd8, E_BUSY = 8'd9;
    localparam [3:0] RK_ERR = 4'd0, RK_IDENT = 4'd1, RK_LOAD = 4'd2, RK_READ = 4'd3,
                     RK_STREAM = 4'd4, RK_INFER = 4'd5, RK_BATCH = 4'd6, RK_COUNTERS = 4'd7,
                     RK_EMPTY = 4'd8;
    // value RAM layout (byte addresses)
    localparam [7:0] A_CNT = 8'h00,    // COUNTERS payload (48 bytes)
                     A_RES = 8'h40,    // INFER/BATCH payload bytes 4..31
                     A_STR = 8'h60,    // STREAM payload bytes 6..13 (stamp)
                     A_ARG = 8'h70,    // two banks of 8: request payload bytes 0..6
                     A_ID  = 8'h80;    // IDENTIFY payload bytes 0..35 (constants)

    function [20:0] region_size(input [1:0] r);
        case (r)
        2'd0:    region_size = 21'd160;
        2'd1:    region_size = WMEM_BYTES;
        default: region_size = IMEM_BYTES;
        endcase
    endfunction

    // ---------------------------------------------------------------- value RAM
    // A same-address read and write in one cycle never carries meaning here (the job engine
    // reads and writes a byte in different cycles; the argument bank being written is only
    // read for a response to that same request), so no bypass logic is wanted.
    (* no_rw_check *)
    reg  [7:0] vm [0:255];
    reg  [7:0] vm_rd;
    wire [7:0] vm_ra, vm_wa, vm_wd;
    wire       vm_we;
    localparam [287:0] ID_BYTES = {HMEM_BITS[31:0], IMEM_BYTES[31:0], WMEM_BYTES[31:0], CAPS,
                                   MAX_L[15:0], MAX_N_OUT[15:0], MAX_N_IN[15:0], 16'd1024,
                                   MAX_LAYERS[7:0], 8'd48, CLK_HZ[31:0], BUILD_HASH,
                                   LANES[15:0], FAMILY[7:0], 8'd1};
    integer vi;
    initial begin
        for (vi = 0; vi < 256; vi = vi + 1)
            vm[vi] = (vi >= 128 && vi < 164) ? ID_BYTES[8*(vi-128) +: 8] : 8'd0;
    end
    always @(posedge clk) begin
        if (vm_we) vm[vm_wa] <= vm_wd;
        vm_rd <= vm[vm_ra];
    end

    // ---------------------------------------------------------------- RX side
    reg  [55:0] cap;           // first 7 payload bytes, little-endian
    reg  [10:0] pidx;          // payload byte index (saturates at 1024)
    reg         in_frame;
    reg         wr_en;         // data bytes of this frame go to the engine
    reg  [19:0] wr_addr;
    reg         we_r;
    reg  [7:0]  wd_r;
    reg  [19:0] wa_r;
    reg  [1:0]  wreg_r;
    reg         computing;     // set by the response FSM from start until the result is built
    reg         ab;            // argument bank the receiver writes
    reg         aw_v;          // argument byte waiting for the RAM write port
    reg  [2:0]  aw_i;
    reg  [7:0]  aw_d;

    // request record (1 deep)
    reg         rq_v;
    reg         rq_err;        // 1: receiver error record (reason in rq_reason)
    reg  [7:0]  rq_reason, rq_type, rq_seq;
    reg  [15:0] rq_len;
    reg         rq_argok;
    reg         rq_pop;

    // the one range check: region, offset + count <= region size (LOAD, READ, STREAM)
    wire        is_load   = (rx_type == T_LOAD);
    wire        is_read   = (rx_type == T_READ);
    wire        is_stream = (rx_type == T_STREAM);
    wire [10:0] dstart    = is_load ? 11'd5 : 11'd4;
    wire [7:0]  w_reg8    = (is_load || is_read) ? cap[7:0] : 8'd2;
    wire [31:0] w_offset  = (is_load || is_read) ? cap[39:8] : cap[31:0];
    wire [15:0] w_cnt     = is_read ? cap[55:40] : rx_len - {5'd0, dstart};
    wire [20:0] w_end     = {1'b0, w_offset[19:0]} + {5'd0, w_cnt};
    wire        w_ok      = (w_reg8 <= (is_load ? 8'd1 : 8'd2)) && (w_offset[31:20] == 12'd0)
                            && (!is_read || (w_cnt != 16'd0 && w_cnt <= 16'd1024))
                            && (w_end <= region_size(w_reg8[1:0]));

    wire push     = (rx_end_valid || rx_err_valid);
    wire aw_block;             // the job engine writes the RAM this cycle

    always @(posedge clk) begin
        we_r <= 1'b0;
        if (rst) begin
            cap <= 56'd0; pidx <= 11'd0; in_frame <= 1'b0; wr_en <= 1'b0; wr_addr <= 20'd0;
            wd_r <= 8'd0; wa_r <= 20'd0; wreg_r <= 2'd0;
            aw_v <= 1'b0; aw_i <= 3'd0; aw_d <= 8'd0;
            rq_v <= 1'b0; rq_err <= 1'b0; rq_reason <= 8'd0; rq_type <= 8'd0; rq_seq <= 8'd0;
            rq_len <= 16'd0; rq_argok <= 1'b0;
        end else begin
            if (aw_v && !aw_block) aw_v <= 1'b0;
            if (rx_hdr_valid) begin
                in_frame <= 1'b1;
                pidx     <= 11'd0;
                wr_en    <= 1'b0;
                cap      <= 56'd0;
            end
            if (rx_pl_valid && in_frame) begin
                if (!pidx[10]) pidx <= pidx + 1'b1;
                if (pidx < 11'd7) begin
                    cap[{pidx[2:0], 3'b000} +: 8] <= rx_pl_data;
                    aw_v <= 1'b1; aw_i <= pidx[2:0]; aw_d <= rx_pl_data;
                end
                if ((is_load || is_stream) && pidx >= dstart) begin
                    // first data byte: decide once for the whole frame
                    if (pidx == dstart ? (w_ok && !computing && !eng_busy) : wr_en) begin
                        we_r   <= 1'b1;
                        wd_r   <= rx_pl_data;
                        wa_r   <= (pidx == dstart) ? w_offset[19:0] : wr_addr;
                        wreg_r <= w_reg8[1:0];
                    end
                    if (pidx == dstart) begin
                        wr_en   <= w_ok && !computing && !eng_busy;
                        wr_addr <= w_offset[19:0] + 1'b1;
                    end else begin
                        wr_addr <= wr_addr + 1'b1;
                    end
                end
            end
            if (push) begin
                in_frame <= 1'b0;
                wr_en    <= 1'b0;
                if (!rq_v || rq_pop) begin
                    rq_v      <= 1'b1;               // else: dropped (see header)
                    rq_err    <= rx_err_valid || !rx_end_crc_ok;
                    rq_reason <= rx_err_valid ? rx_err_reason : E_BAD_CRC;
                    rq_type   <= rx_err_valid ? rx_err_type : rx_type;
                    rq_seq    <= rx_err_valid ? rx_err_seq : rx_seq;
                    rq_len    <= rx_len;
                    rq_argok  <= w_ok;
                end
            end else if (rq_pop) begin
                rq_v <= 1'b0;
            end
        end
    end

    // ---------------------------------------------------------------- stamps and results
    reg [47:0] snap;       // cycle at the last accepted request record (STREAM, COUNTERS)
    reg [47:0] tst;        // first BUSY-high cycle of an INFER/BATCH
    reg        tst_wait;   // INFER/BATCH accepted, BUSY not yet seen
    reg [47:0] tdn;        // cycle of the last done
    reg [47:0] bb;         // busy cycles of this INFER/BATCH (counts while running)
    reg [7:0]  res_class;
    reg [15:0] res_nout;

    // ---------------------------------------------------------------- job engine
    localparam integer NJ = 16;
    localparam [3:0] J_CLR = 4'd0, J_OK = 4'd1, J_HCRC = 4'd2, J_CRC = 4'd3, J_OVER = 4'd4,
                     J_TMO = 4'd5, J_REJ = 4'd6, J_GARB = 4'd7, J_INF = 4'd8, J_NBUSY = 4'd9,
                     J_BBUSY = 4'd10, J_TST = 4'd11, J_TDN = 4'd12, J_RES = 4'd13,
                     J_STAMP = 4'd14, J_CNOW = 4'd15;
    localparam [1:0] OP_ZERO = 2'd0, OP_INC = 2'd1, OP_ADD = 2'd2, OP_CPY = 2'd3;
    localparam [2:0] SRC_BB = 3'd0, SRC_TST = 3'd1, SRC_TDN = 3'd2, SRC_SNAP = 3'd3,
                     SRC_RES = 3'd4;

    reg [NJ-1:0] pend;
    reg [NJ-1:0] pend_set;     // from the response FSM and the event logic (combinational)
    reg          jb_act, jb_ph, jb_c;
    reg [3:0]    jb_id;
    reg [5:0]    jb_k;

    reg [7:0] j_base; reg [5:0] j_last; reg [1:0] j_op; reg [2:0] j_src;
    always @(*) begin
        j_op = OP_INC; j_src = SRC_BB; j_last = 6'd3;
        j_base = A_CNT + {2'd0, jb_id, 2'b00} + 8'd4;        // counters 1..8 at 8 + 4(id-1)
        case (jb_id)
        J_CLR:   begin j_base = 8'd8;  j_last = 6'd39; j_op = OP_ZERO; end
        J_NBUSY: begin j_base = 8'd40; j_last = 6'd5;  j_op = OP_ADD; j_src = SRC_BB; end
        J_BBUSY: begin j_base = A_RES + 8'd24; j_last = 6'd5; j_op = OP_CPY; j_src = SRC_BB; end
        J_TST:   begin j_base = A_RES + 8'd8;  j_last = 6'd5; j_op = OP_CPY; j_src = SRC_TST; end
        J_TDN:   begin j_base = A_RES + 8'd16; j_last = 6'd5; j_op = OP_CPY; j_src = SRC_TDN; end
        J_RES:   begin j_base = A_RES + 8'd4;  j_last = 6'd3; j_op = OP_CPY; j_src = SRC_RES; end
        J_STAMP: begin j_base = A_STR + 8'd6;  j_last = 6'd5; j_op = OP_CPY; j_src = SRC_SNAP; end
        J_CNOW:  begin j_base = A_CNT;         j_last = 6'd5; j_op = OP_CPY; j_src = SRC_SNAP; end
        default: ;
        endcase
    end
    reg [7:0] j_sb;
    always @(*) begin
        case (j_src)
        SRC_BB:   j_sb = bb[7:0];
        SRC_TST:  j_sb = tst[7:0];
        SRC_TDN:  j_sb = tdn[7:0];
        SRC_SNAP: j_sb = snap[7:0];
        default:  case (jb_k[1:0])
                  2'd0:    j_sb = res_class;
                  2'd1:    j_sb = 8'd0;
                  2'd2:    j_sb = res_nout[7:0];
                  default: j_sb = res_nout[15:8];
                  endcase
        endcase
    end
    wire [7:0] jb_addr = j_base + {2'd0, jb_k};
    wire [8:0] j_sum   = {1'b0, vm_rd} + {1'b0, (j_op == OP_ADD) ? j_sb : 8'd0} + {8'd0, jb_c};
    wire [7:0] j_wd    = (j_op == OP_ZERO) ? 8'd0 : (j_op == OP_CPY) ? j_sb : j_sum[7:0];
    wire       jb_wr   = jb_act && jb_ph;
    wire       jb_rd   = jb_act && !jb_ph;
    wire       j_rot   = jb_wr && (j_op == OP_ADD || j_op == OP_CPY);
    wire       jobs_idle = !jb_act && (pend == {NJ{1'b0}});

    // lowest pending index
    reg [3:0] j_next;
    integer ji;
    always @(*) begin
        j_next = 4'd0;
        for (ji = NJ - 1; ji >= 0; ji = ji - 1)
            if (pend[ji]) j_next = ji[3:0];
    end

    assign aw_block = jb_wr;
    assign vm_we = jb_wr || aw_v;
    assign vm_wa = jb_wr ? jb_addr : (A_ARG | {4'd0, ab, aw_i});
    assign vm_wd = jb_wr ? j_wd : aw_d;

    // ---------------------------------------------------------------- response FSM
    localparam [3:0] S_IDLE = 4'd0, S_DECIDE = 4'd1, S_CFGWAIT = 4'd2, S_COMPUTE = 4'd3,
                     S_SEND = 4'd4, S_SEND1 = 4'd5, S_SENDW = 4'd6, S_PREP = 4'd7;

    reg [3:0]  st, ret;
    reg [3:0]  rk;
    reg [7:0]  e_reason, e_type;
    reg        c_err;                 // current record
    reg [7:0]  c_reason, c_type, c_seq;
    reg [15:0] c_len;
    reg        c_argok;
    reg [11:0] wait_cnt;
    reg        is_batch;
    reg        ib;                    // argument bank of the running INFER/BATCH
    reg [7:0]  inf_seq;
    reg [31:0] batch_left;
    reg        done_seen;
    reg        cnt_clear;
    reg        inc_rejected;
    reg        fin;                   // pulse: INFER/BATCH finished, build the result
    reg        want_stamp, want_cnow;
    reg [19:0] rd_addr;
    reg [1:0]  rd_region;
    reg        rd_load;

    wire [31:0] a_u32 = cap[31:0];    // INFER id, BATCH n (the frame just received)

    reg        len_ok, type_ok;
    always @(*) begin
        type_ok = 1'b1;
        len_ok  = 1'b0;
        case (c_type)
        T_IDENTIFY, T_COUNTERS, T_RESET: len_ok = (c_len == 16'd0);
        T_LOAD:           len_ok = (c_len >= 16'd6);
        T_READ:           len_ok = (c_len == 16'd7);
        T_STREAM:         len_ok = (c_len >= 16'd5);
        T_INFER, T_BATCH: len_ok = (c_len == 16'd4);
        default:          type_ok = 1'b0;
        endcase
    end

    task send_err(input [7:0] reason, input [7:0] rtype, input [7:0] rseq);
        begin
            rk       <= RK_ERR;
            e_reason <= reason;
            e_type   <= rtype;
            tx_type  <= 8'hFF;
            tx_seq   <= rseq;
            tx_len   <= 16'd2;
        end
    endtask

    always @(posedge clk) begin
        tx_start     <= 1'b0;
        rq_pop       <= 1'b0;
        eng_start    <= 1'b0;
        cfg_commit   <= 1'b0;
        cnt_clear    <= 1'b0;
        inc_rejected <= 1'b0;
        err_pulse    <= 1'b0;
        fin          <= 1'b0;
        want_stamp   <= 1'b0;
        want_cnow    <= 1'b0;
        rd_load      <= 1'b0;
        if (rst) begin
            st <= S_IDLE; ret <= S_IDLE; rk <= RK_ERR; e_reason <= 8'd0; e_type <= 8'd0;
            tx_type <= 8'd0; tx_seq <= 8'd0; tx_len <= 16'd0;
            c_err <= 1'b0; c_reason <= 8'd0; c_type <= 8'd0; c_seq <= 8'd0; c_len <= 16'd0;
            c_argok <= 1'b0; wait_cnt <= 12'd0;
            is_batch <= 1'b0; ib <= 1'b0; ab <= 1'b0; inf_seq <= 8'd0; batch_left <= 32'd0;
            done_seen <= 1'b0; computing <= 1'b0; rd_region <= 2'd0;
        end else begin
            if (eng_done) done_seen <= 1'b1;
            case (st)
            S_IDLE: if (rq_v) begin
                rq_pop  <= 1'b1;
                c_err <= rq_err; c_reason <= rq_reason; c_type <= rq_type; c_seq <= rq_seq;
                c_len <= rq_len; c_argok <= rq_argok;
                st  <= S_DECIDE;
                ret <= S_IDLE;
            end
            S_DECIDE: begin
                st <= S_SEND;
                if (c_err) begin
                    send_err(c_reason, c_type, c_seq);
                end else if (!type_ok) begin
                    send_err(E_UNKNOWN, c_type, c_seq); inc_rejected <= 1'b1;
                end else if (!len_ok) begin
                    send_err(E_BAD_LEN, c_type, c_seq); inc_rejected <= 1'b1;
                end else begin
                    tx_type <= c_type | 8'h80;
                    tx_seq  <= c_seq;
                    case (c_type)
                    T_IDENTIFY: begin
                        // K = 0 (unconfigured): exactly one u16 size (0) follows (§4.1)
                        rk     <= RK_IDENT;
                        tx_len <= 16'd42 + (cfg_valid ? {7'd0, cfg_n_layers, 1'b0} : 16'd0);
                    end
                    T_LOAD, T_READ, T_STREAM: begin
                        if (!c_argok) begin
                            send_err(E_BAD_ARG, c_type, c_seq); inc_rejected <= 1'b1;
                        end else if (c_type == T_LOAD) begin
                            rk <= RK_LOAD; tx_len <= 16'd7;
                            if (cap[7:0] == 8'd0) begin
                                cfg_commit <= 1'b1;
                                wait_cnt   <= CFG_WAIT[11:0];
                                st         <= S_CFGWAIT;
                            end
                        end else if (c_type == T_READ) begin
                            rk <= RK_READ; tx_len <= cap[55:40];
                            rd_region <= cap[1:0]; rd_load <= 1'b1;
                        end else begin
                            rk <= RK_STREAM; tx_len <= 16'd14;
                            want_stamp <= 1'b1; st <= S_PREP;
                        end
                    end
                    T_INFER, T_BATCH: begin
                        if (!cfg_valid) begin
                            send_err(E_NOT_CFG, c_type, c_seq); inc_rejected <= 1'b1;
                        end else if (c_type == T_BATCH && a_u32 == 32'd0) begin
                            send_err(E_BAD_ARG, c_type, c_seq); inc_rejected <= 1'b1;
                        end else begin
                            is_batch   <= (c_type == T_BATCH);
                            inf_seq    <= c_seq;
                            ib         <= ab;
                            ab         <= ~ab;       // later requests must not touch the id
                            batch_left <= (c_type == T_BATCH) ? a_u32 : 32'd1;
                            eng_start  <= 1'b1;
                            done_seen  <= 1'b0;
                            computing  <= 1'b1;
                            st         <= S_COMPUTE;
                        end
                    end
                    T_COUNTERS: begin
                        rk <= RK_COUNTERS; tx_len <= 16'd48; want_cnow <= 1'b1; st <= S_PREP;
                    end
                    default: begin                    // RESET
                        rk <= RK_EMPTY; tx_len <= 16'd0; cnt_clear <= 1'b1; st <= S_PREP;
                    end
                    endcase
                end
            end
            S_CFGWAIT: begin
                // the verdict comes with cfg_done; the budget only guards against a hang
                if (!cfg_done && wait_cnt != 12'd0) begin
                    wait_cnt <= wait_cnt - 1'b1;
                end else begin
                    st <= S_SEND;
                    if (cfg_error || !cfg_valid) begin
                        send_err(E_BAD_ARG, c_type, c_seq); inc_rejected <= 1'b1;
                    end
                end
            end
            S_COMPUTE: begin
                if (rq_v) begin
                    // a request while computing: answer at once
                    rq_pop <= 1'b1;
                    if (rq_err) begin
                        send_err(rq_reason, rq_type, rq_seq);
                    end else begin
                        send_err(E_BUSY, rq_type, rq_seq); inc_rejected <= 1'b1;
                    end
                    st  <= S_SEND;
                    ret <= S_COMPUTE;
                end else if (done_seen && !eng_done) begin
                    done_seen <= 1'b0;
                    if (batch_left != 32'd1) begin
                        batch_left <= batch_left - 1'b1;
                        eng_start  <= 1'b1;
                    end else begin
                        computing <= 1'b0;
                        fin       <= 1'b1;
                        tx_type   <= is_batch ? (T_BATCH | 8'h80) : (T_INFER | 8'h80);
                        tx_seq    <= inf_seq;
                        rk        <= is_batch ? RK_BATCH : RK_INFER;
                        tx_len    <= (is_batch ? 16'd32 : 16'd28) + {res_nout[14:0], 1'b0};
                        st        <= S_PREP;
                        ret       <= S_IDLE;
                    end
                end
            end
            S_PREP: if (jobs_idle && !fin && !want_stamp && !want_cnow && !cnt_clear)
                st <= S_SEND;                         // value RAM up to date
            S_SEND: begin
                tx_start <= 1'b1;
                err_pulse <= (rk == RK_ERR);
                st <= S_SEND1;
            end
            S_SEND1: st <= S_SENDW;                   // frame_tx raises busy
            default: if (!tx_busy) st <= ret;         // S_SENDW
            endcase
        end
    end

    // stamps, busy count, results; rotated by the jobs that copy them into the RAM.
    // inf_go is the cycle the response FSM accepts an INFER/BATCH. t_start is the first cycle
    // the engine's BUSY is high after it, t_done the cycle of the last DONE pulse, and bb
    // counts the cycles BUSY is high: for one inference t_done - t_start = busy_cycles = the
    // number of cycles a scope sees on the BUSY pin (docs/protocol.md §4.2).
    wire inf_go = (st == S_DECIDE) && !c_err && type_ok && len_ok && cfg_valid
                  && (c_type == T_INFER || (c_type == T_BATCH && a_u32 != 32'd0));
    always @(posedge clk) begin
        if (rst) begin
            snap <= 48'd0; tst <= 48'd0; tdn <= 48'd0; bb <= 48'd0; tst_wait <= 1'b0;
            res_class <= 8'd0; res_nout <= 16'd0;
        end else begin
            if (push && (!rq_v || rq_pop)) snap <= cycle;
            else if (j_rot && j_src == SRC_SNAP) snap <= {snap[7:0], snap[47:8]};
            if (inf_go) tst_wait <= 1'b1;
            else if (eng_busy) tst_wait <= 1'b0;
            if (tst_wait && eng_busy) tst <= cycle;
            else if (j_rot && j_src == SRC_TST) tst <= {tst[7:0], tst[47:8]};
            if (inf_go) bb <= 48'd0;
            else if (eng_busy) bb <= bb + 1'b1;
            else if (j_rot && j_src == SRC_BB) bb <= {bb[7:0], bb[47:8]};
            if (eng_done) begin
                tdn       <= cycle;
                res_class <= result_class;
                res_nout  <= n_out_last;
            end else if (j_rot && j_src == SRC_TDN) begin
                tdn <= {tdn[7:0], tdn[47:8]};
            end
        end
    end

    // job requests and the job engine
    always @(*) begin
        pend_set = {NJ{1'b0}};
        pend_set[J_CLR]   = cnt_clear;
        pend_set[J_OK]    = rx_end_valid && rx_end_crc_ok;
        pend_set[J_CRC]   = rx_end_valid && !rx_end_crc_ok;
        pend_set[J_HCRC]  = rx_err_valid && rx_err_reason == 8'd1;
        pend_set[J_OVER]  = rx_err_valid && rx_err_reason == 8'd3;
        pend_set[J_TMO]   = rx_err_valid && rx_err_reason == 8'd4;
        pend_set[J_REJ]   = inc_rejected;
        pend_set[J_GARB]  = rx_garbage;
        pend_set[J_INF]   = eng_done;
        pend_set[J_NBUSY] = fin;
        pend_set[J_BBUSY] = fin;
        pend_set[J_TST]   = fin;
        pend_set[J_TDN]   = fin;
        pend_set[J_RES]   = fin;
        pend_set[J_STAMP] = want_stamp;
        pend_set[J_CNOW]  = want_cnow;
    end
    wire jb_go = !jb_act && (pend != {NJ{1'b0}});
    always @(posedge clk) begin
        if (rst) begin
            pend <= {{(NJ-1){1'b0}}, 1'b1};   // clear the counters after reset
            jb_act <= 1'b0; jb_ph <= 1'b0; jb_c <= 1'b0; jb_id <= 4'd0; jb_k <= 6'd0;
        end else begin
            // RESET drops counter increments still pending (they predate it)
            pend <= (pend & ~((jb_go ? ({{(NJ-1){1'b0}}, 1'b1} << j_next) : {NJ{1'b0}})
                              | (cnt_clear ? {{(NJ-9){1'b0}}, 8'hFF, 1'b0} : {NJ{1'b0}})))
                    | pend_set;
            if (jb_go) begin
                jb_act <= 1'b1; jb_id <= j_next; jb_k <= 6'd0; jb_ph <= 1'b0;
                jb_c   <= (j_next >= J_OK && j_next <= J_INF);   // increments carry in 1
            end else if (jb_act) begin
                jb_ph <= ~jb_ph;
                if (jb_ph) begin
                    jb_c <= j_sum[8];
                    jb_k <= jb_k + 1'b1;
                    if (jb_k == j_last) jb_act <= 1'b0;
                end
            end
        end
    end

    // ---------------------------------------------------------------- payload fetch
    wire [15:0] idx      = tx_pl_idx;
    wire [15:0] cnt_base = is_batch ? 16'd32 : 16'd28;
    wire [15:0] cnt_off  = idx - cnt_base;
    wire        src_mem  = (rk == RK_READ);
    wire        src_size = (rk == RK_IDENT) && idx >= 16'd40;
    wire [15:0] size_off = idx - 16'd40;
    assign size_idx = size_off[3:1];
    wire        src_cnt  = (rk == RK_INFER || rk == RK_BATCH) && idx >= cnt_base;
    wire        rk_inf   = (rk == RK_INFER || rk == RK_BATCH);
    wire [7:0]  a_bank   = A_ARG | {4'd0, rk_inf ? ib : ab, 3'd0};
    wire [15:0] dcount   = c_len - ((rk == RK_LOAD) ? 16'd5 : 16'd4);

    // register fields, else a RAM address
    reg        f_reg;
    reg [7:0]  f_byte, f_ra;
    always @(*) begin
        f_reg = 1'b0; f_byte = 8'd0; f_ra = 8'd0;
        case (rk)
        RK_ERR: begin f_reg = 1'b1; f_byte = idx[0] ? e_type : e_reason; end
        RK_IDENT: begin
            f_ra = A_ID | {2'd0, idx[5:0]};
            if (idx[5:0] >= 6'd36) begin
                f_reg = 1'b1;
                case (idx[1:0])
                2'd0:    f_byte = {7'd0, cfg_valid};
                2'd1:    f_byte = cfg_valid ? cfg_n_layers : 8'd0;
                2'd2:    f_byte = cfg_valid ? cfg_L[7:0] : 8'd0;
                default: f_byte = cfg_valid ? cfg_L[15:8] : 8'd0;
                endcase
            end
        end
        RK_LOAD: begin
            f_ra = a_bank | {5'd0, idx[2:0]};
            if (idx[2:0] >= 3'd5) begin f_reg = 1'b1; f_byte = idx[0] ? dcount[7:0] : dcount[15:8]; end
        end
        RK_STREAM: begin
            f_ra = (idx[3:0] < 4'd4) ? (a_bank | {5'd0, idx[2:0]}) : (A_STR | {4'd0, idx[3:0]});
            if (idx[3:0] == 4'd4 || idx[3:0] == 4'd5) begin
                f_reg = 1'b1; f_byte = idx[0] ? dcount[15:8] : dcount[7:0];
            end
        end
        RK_INFER, RK_BATCH:
            f_ra = (idx[4:0] < 5'd4) ? (a_bank | {5'd0, idx[2:0]}) : (A_RES | {3'd0, idx[4:0]});
        default: f_ra = A_CNT | {2'd0, idx[5:0]};      // COUNTERS
        endcase
    end

    localparam [2:0] F_IDLE = 3'd0, F_MEM = 3'd1, F_MWAIT = 3'd2, F_CNT = 3'd3,
                     F_RAM = 3'd4, F_RWAIT = 3'd5;
    reg [2:0]  fst;
    reg [2:0]  fwait;
    reg        fhi;
    reg [7:0]  f_addr;
    always @(posedge clk) begin
        tx_pl_ack <= 1'b0;
        if (rst) begin
            fst <= F_IDLE; fwait <= 3'd0; fhi <= 1'b0; rd_addr <= 20'd0; f_addr <= 8'd0;
            tx_pl_data <= 8'd0; cnt_idx <= 8'd0;
        end else begin
            if (rd_load) rd_addr <= cap[27:8];          // READ offset (range checked)
            case (fst)
            F_IDLE: if (tx_pl_req) begin
                if (src_mem) begin
                    fst <= F_MEM;
                end else if (src_size) begin
                    tx_pl_data <= size_off[0] ? size_data[15:8] : size_data[7:0];
                    tx_pl_ack  <= 1'b1;
                end else if (src_cnt) begin
                    fst     <= F_CNT;
                    cnt_idx <= cnt_off[8:1];
                    fhi     <= cnt_off[0];
                    fwait   <= 3'd3;
                end else if (f_reg) begin
                    tx_pl_data <= f_byte;
                    tx_pl_ack  <= 1'b1;
                end else begin
                    f_addr <= f_ra;
                    fst    <= F_RAM;
                end
            end
            F_MEM: if (!we_r) fst <= F_MWAIT;          // mem_re is issued this cycle
            F_MWAIT: if (mem_rvalid) begin
                tx_pl_data <= mem_rdata;
                tx_pl_ack  <= 1'b1;
                rd_addr    <= rd_addr + 1'b1;
                fst        <= F_IDLE;
            end
            F_RAM: if (!jb_rd) fst <= F_RWAIT;         // the RAM read is issued this cycle
            F_RWAIT: begin
                tx_pl_data <= vm_rd;
                tx_pl_ack  <= 1'b1;
                fst        <= F_IDLE;
            end
            default: begin                              // F_CNT
                if (fwait != 3'd0) begin
                    fwait <= fwait - 1'b1;
                end else begin
                    tx_pl_data <= fhi ? cnt_data[15:8] : cnt_data[7:0];
                    tx_pl_ack  <= 1'b1;
                    fst        <= F_IDLE;
                end
            end
            endcase
        end
    end
    assign vm_ra = jb_rd ? jb_addr : f_addr;

    // engine byte port: a write has priority; a read waits one cycle behind it
    assign mem_we     = we_r;
    assign mem_re     = (fst == F_MEM) && !we_r;
    assign mem_region = we_r ? wreg_r : rd_region;
    assign mem_addr   = we_r ? wa_r : rd_addr;
    assign mem_wdata  = wd_r;
endmodule
`default_nettype wire
