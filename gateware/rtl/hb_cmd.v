// hb_cmd -- the command dispatcher of the link side (docs/protocol.md §3-4).
//
// Four parts:
//  * RX side: follows hb_frame_rx events. Writes the first 7 payload bytes (the arguments)
//    into the value RAM and decodes the few that matter as they arrive: region, the offset
//    straight into the engine's byte-port address counter `ma`, the READ count, the BATCH n.
//    LOAD / STREAM data bytes go into the engine's byte port as they arrive, once region and
//    range (offset + count <= region size, one 21-bit add and compare) are known to be valid
//    and the engine is idle. The frame CRC is checked only at the end: a frame with a bad
//    CRC leaves the bytes it wrote in place (at the offsets the frame named); the host's
//    retry of the same idempotent request overwrites them. A LOAD to CONFIG is committed
//    (cfg_commit) only after a good CRC. At the end of a frame (or on a receive error) one
//    request record {verdict, type, seq} is queued (1 deep). A record arriving while one is
//    still queued is dropped, except that an intact frame replaces a waiting receiver-error
//    record: bad headers back to back outrun the ERROR frames they cause, and the request
//    behind them must still be answered (two intact frames never compete: a host has at
//    most one request waiting behind an answer, and pipelined LOADs last longer on the
//    wire than an answer, docs/protocol.md §2). The verdict (receiver error, UNKNOWN_TYPE, BAD_LENGTH, BUSY, BAD_ARG or ok)
//    is decided at that moment, in the protocol's check order.
//  * Response FSM: pops a record, answers it (response or ERROR) and runs the command.
//    While the engine computes (INFER/BATCH) every new request is answered ERROR(BUSY) at
//    once (receiver errors, unknown types and bad lengths keep their own reason) and the
//    result is sent when the computation ends. The response kind `rk` (= request type,
//    0 for ERROR) selects the frame type, length and payload sources. It reads the request's
//    arguments from the argument bank the request was written to (the banks alternate per
//    request taken) and a LOAD/STREAM count latched when the request is taken, so a
//    pipelined LOAD can arrive meanwhile; a READ's answer reads the RX-side address and
//    count, so READ is never pipelined. CHECK computes its CRC before its answer, owning
//    the address and count registers; requests that arrive meanwhile are answered BUSY.
//  * Payload fetch: frame_tx pulls payload bytes by index. Fixed fields live in one 256-byte
//    "value RAM" (one EBR) laid out like the responses, so a byte is RAM[base | idx]; the
//    48-bit cycle stamps are written whole into a 4 x 48 "stamp RAM" (three EBRs) at the
//    event and read a byte at a time; READ data and identify sizes come from the engine's
//    byte port, spike counts from its count port, and a few small fields (error reason/type,
//    counts, configured/K/L, class/n_out) from registers or the engine.
//  * Value RAM jobs: counters (§4.4) and busy counts are updated in the RAM by a byte-serial
//    job engine (read-modify-write, 2 cycles per byte, one 8-bit adder): one pending bit per
//    job, lowest index first. Events are far apart (>= one UART byte, >= 256 busy cycles)
//    so a pending bit never needs to count twice. The busy count of an INFER/BATCH is an
//    8-bit counter whose carries are added into the RAM (the request's count and the total)
//    as they happen; at the end its low byte is added in. A BATCH's n is counted down in its
//    argument bank by a job at each start (a flag says when it reached 0) and counted up
//    in the response area for the echo.
// Counters (§4.4), each exact (one count per event): frames_ok counts frames whose header
// and CRC were good, the COUNTERS request itself included (a good frame can
// still be rejected: frames_rejected counts UNKNOWN_TYPE, BAD_LENGTH, BAD_ARG, BUSY,
// NOT_CONFIGURED answers). busy_cycles adds the busy cycles of every INFER/BATCH.
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
                                           // (kept within 1/2 .. 3/4 of it, see S_CFGWAIT)
) (
    input  wire        clk,
    input  wire        rst,
    input  wire [47:0] cycle,
    // frame receiver events (type, seq hold from hdr_valid to the end of the frame; len is
    // the payload length at hdr_valid, then the payload bytes still to come)
    input  wire        rx_hdr_valid,
    input  wire [7:0]  rx_type,
    input  wire [7:0]  rx_seq,
    input  wire [10:0] rx_len,
    input  wire        rx_pl_valid,
    input  wire [7:0]  rx_pl_data,      // holds for >= 2 bit times (8 cycles) after the byte
    input  wire        rx_end_valid,
    input  wire        rx_end_crc_ok,
    input  wire        rx_err_valid,
    input  wire [2:0]  rx_err_reason,
    input  wire        rx_err_tknown,   // rx_type is the dropped frame's type
    input  wire        rx_garbage,
    // frame transmitter (type, seq, len hold while tx_busy)
    output reg         tx_start,
    output wire [7:0]  tx_type,
    output reg  [7:0]  tx_seq,
    output reg  [10:0] tx_len,
    input  wire        tx_busy,
    input  wire        tx_pl_req,
    input  wire [10:0] tx_pl_idx,
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
    output wire [7:0]  cnt_idx,
    input  wire [15:0] cnt_data,
    input  wire [15:0] n_out_last,
    // status
    output reg         err_pulse        // an ERROR frame was sent (LED)
);
    // ---------------------------------------------------------------- constants
    // request types 1 IDENTIFY .. 8 RESET (IDENTIFY, COUNTERS need no name here)
    localparam [7:0] T_LOAD = 8'h02, T_READ = 8'h03, T_STREAM = 8'h04, T_INFER = 8'h05,
                     T_BATCH = 8'h06, T_RESET = 8'h08, T_CHECK = 8'h09;
    localparam [3:0] E_BAD_CRC = 4'd2, E_UNKNOWN = 4'd5, E_BAD_LEN = 4'd6,
                     E_BAD_ARG = 4'd7, E_NOT_CFG = 4'd8, E_BUSY = 4'd9;
    // response kind: the request type, 0 for ERROR
    localparam [3:0] RK_ERR = 4'd0, RK_IDENT = 4'd1, RK_LOAD = 4'd2, RK_READ = 4'd3,
                     RK_STREAM = 4'd4, RK_INFER = 4'd5, RK_BATCH = 4'd6, RK_COUNTERS = 4'd7,
                     RK_CHECK = 4'd9;
    // value RAM layout (byte addresses)
    localparam [7:0] A_CNT = 8'h00,    // COUNTERS payload (bytes 8..47; 0..7 are the stamp)
                     A_BN  = 8'h54,    // BATCH payload bytes 0..3 (n, counted up)
                     A_BSY = 8'h58,    // INFER/BATCH payload bytes 24..31 (busy cycles)
                     A_ID  = 8'h80;    // IDENTIFY payload bytes 0..35 (constants)
                                       // 0x70..0x7F: two banks of 8: request payload 0..6
    // stamp RAM slots
    localparam [1:0] SL_SNAP = 2'd0,   // cycle of the last accepted request record
                     SL_TST  = 2'd1,   // first BUSY-high cycle of an INFER/BATCH
                     SL_TDN  = 2'd2;   // cycle of the last DONE

    function [20:0] region_size(input [1:0] r);
        case (r)
        2'd0:    region_size = 21'd160;
        2'd1:    region_size = WMEM_BYTES[20:0];
        default: region_size = IMEM_BYTES[20:0];
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

    // ---------------------------------------------------------------- stamp RAM
    // The cycle counter is written whole at the event (no 48-bit capture registers); the
    // payload fetch reads a slot and picks the byte. Same-cycle read and write of one slot
    // never matters (a stamp is read only for the response to its own request).
    (* no_rw_check, ram_style = "block" *)
    reg  [47:0] sm [0:3];
    reg  [47:0] sm_rd;
    wire [1:0]  sm_ra;
    reg  [1:0]  sm_wa;
    reg         sm_we;
    always @(posedge clk) begin
        if (sm_we) sm[sm_wa] <= cycle;
        sm_rd <= sm[sm_ra];
    end

    // ---------------------------------------------------------------- RX side
    reg  [2:0]  pidx;          // payload byte index (saturates at 7: only 0..6 are decoded)
    reg  [19:0] ma;            // engine byte address: the request offset, +1 per byte moved
    reg  [1:0]  reg2;          // region (STREAM: 2)
    reg         rg_ok;         // region byte in range for the type
    reg         hz;            // offset bits 31..20 are zero
    reg  [15:0] cnt;           // LOAD/STREAM: data bytes (len - 5/4); READ, CHECK: the count
                               // (CHECK counts it down while it runs)
    reg         len_ok;        // payload length right for the type (decided at the header)
    reg         rc_ok;         // READ count in 1..1024, CHECK count not 0
    reg         nz;            // BATCH n != 0
    reg         wr_en;         // data bytes of this frame go to the engine
    reg         argbad;        // LOAD/STREAM: range bad (decided at the first data byte)
    reg         blk;           // LOAD/STREAM: range good but the engine was computing
    reg         we_r;
    reg         aw_v;          // argument byte waiting for the RAM write port
    reg  [2:0]  aw_i;
    reg         ab;            // argument bank the receiver writes
    reg         computing;     // set by the response FSM from start until the result is built
    reg         ck_act;        // a CHECK's CRC is being computed (it owns ma and cnt)
    reg         ck_hit;        // this frame arrived (in part) while a CHECK ran: BUSY
    wire        ck_busy = ck_act || ck_hit;

    // request record (1 deep)
    reg         rq_v;
    reg  [3:0]  rq_code;       // 0 ok, else the ERROR reason
    reg  [7:0]  rq_type, rq_seq;
    reg         rq_rx;         // the record is a receiver error (BAD_HCRC/CRC, OVERSIZE, TIMEOUT)
    wire        rq_pop;

    wire        is_load   = (rx_type == T_LOAD);
    wire        is_read   = (rx_type == T_READ);
    wire        is_chk    = (rx_type == T_CHECK);
    wire        is_rdck   = is_read || is_chk;      // region, offset, u16 count
    wire        is_stream = (rx_type == T_STREAM);
    wire        is_batch_t = (rx_type == T_BATCH);
    wire [2:0]  dstart    = is_load ? 3'd5 : 3'd4;
    wire [2:0]  ofs       = is_stream ? pidx : pidx - 1'b1;   // offset byte index
    wire        has_ofs   = is_load || is_rdck || is_stream;
    wire [7:0]  b         = rx_pl_data;
    wire        ma_rinc;   // a READ or CHECK byte arrived from the engine
    wire        ck_dec;    // a CHECK byte was taken: count down
    wire        jb_wr, jb_rd;  // the job engine writes / reads the value RAM this cycle

    // the one range check (LOAD/STREAM at the first data byte, READ at the end)
    wire [20:0] w_end = {1'b0, ma} + {5'd0, cnt};
    wire        w_ok  = rg_ok && hz && (w_end <= region_size(reg2));
    wire        eng_free = !computing && !eng_busy && !ck_busy;

    // type 1..9; the length checks need only "len < 8" and its low 3 bits
    wire       type_ok = (rx_type[7:4] == 4'd0) && (rx_type[3] ? (rx_type[2:1] == 2'd0)
                                                              : (rx_type[2:0] != 3'd0));
    wire       len_sm  = (rx_len[10:3] == 8'd0);
    reg        len_ok_h;
    always @(*) begin
        case (rx_type[3:0])
        T_LOAD[3:0]:                len_ok_h = !len_sm || rx_len[2:0] >= 3'd6;
        T_READ[3:0], T_CHECK[3:0]:  len_ok_h = len_sm && rx_len[2:0] == 3'd7;
        T_STREAM[3:0]:              len_ok_h = !len_sm || rx_len[2:0] >= 3'd5;
        T_INFER[3:0], T_BATCH[3:0]: len_ok_h = len_sm && rx_len[2:0] == 3'd4;
        default:                    len_ok_h = len_sm && rx_len[2:0] == 3'd0;  // IDENTIFY...
        endcase
    end
    wire       arg_bad  = (is_load || is_stream) ? argbad :
                          is_rdck ? !(w_ok && rc_ok) : (is_batch_t && !nz);
    // a request that ends while a CHECK runs is answered BUSY (it cannot have its arguments
    // decoded: ma and cnt are the CHECK's), like one while the engine computes
    wire [3:0] code_now = rx_err_valid   ? {1'b0, rx_err_reason} :
                          !rx_end_crc_ok ? E_BAD_CRC :
                          !type_ok       ? E_UNKNOWN :
                          !len_ok        ? E_BAD_LEN :
                          (blk || ck_busy) ? E_BUSY :
                          arg_bad        ? E_BAD_ARG : 4'd0;
    wire       push     = rx_end_valid || rx_err_valid;
    // An intact frame always gets the record: it replaces a waiting receiver-error record
    // (protocol §2: every request is answered; ERROR frames for damaged frames may be lost).
    wire       intact   = rx_end_valid && rx_end_crc_ok;
    wire       rq_take  = push && (!rq_v || rq_pop || (intact && rq_rx));

    always @(posedge clk) begin
        we_r <= 1'b0;
        if (rst) begin
            pidx <= 3'd0; ma <= 20'd0; reg2 <= 2'd0; rg_ok <= 1'b0; hz <= 1'b0; cnt <= 16'd0;
            len_ok <= 1'b0;
            rc_ok <= 1'b0; nz <= 1'b0; wr_en <= 1'b0; argbad <= 1'b0; blk <= 1'b0;
            aw_v <= 1'b0; aw_i <= 3'd0; ck_hit <= 1'b0;
            rq_v <= 1'b0; rq_code <= 4'd0; rq_type <= 8'd0; rq_seq <= 8'd0; rq_rx <= 1'b0;
        end else begin
            if (aw_v && !jb_wr) aw_v <= 1'b0;
            if (we_r || ma_rinc) ma <= ma + 1'b1;
            if (ck_dec) cnt <= cnt - 1'b1;
            if (rx_hdr_valid || rx_pl_valid)
                ck_hit <= ck_act || (ck_hit && !rx_hdr_valid);
            if (rx_hdr_valid) begin
                pidx <= 3'd0; wr_en <= 1'b0; argbad <= 1'b0; blk <= 1'b0; nz <= 1'b0;
                rc_ok <= 1'b0; rg_ok <= 1'b1; hz <= 1'b1;
                if (!ck_act) reg2 <= 2'd2;   // a running CHECK reads its region
                len_ok <= len_ok_h;
            end
            if (rx_pl_valid) begin
                if (pidx != 3'd7) begin
                    pidx <= pidx + 1'b1;
                    aw_v <= 1'b1;
                    aw_i <= pidx;
                end
                if ((is_load || is_rdck) && pidx == 3'd0 && !ck_act) begin
                    reg2  <= b[1:0];
                    rg_ok <= (b[7:2] == 6'd0) && (is_load ? !b[1] : !(&b[1:0]));
                end
                if (has_ofs && !ck_act) begin
                    case (ofs)
                    3'd0: ma[7:0]   <= b;
                    3'd1: ma[15:8]  <= b;
                    3'd2: begin ma[19:16] <= b[3:0]; hz <= (b[7:4] == 4'd0); end
                    3'd3: hz <= hz && (b == 8'd0);
                    default: ;
                    endcase
                end
                // LOAD/STREAM: after the last offset byte, len is the data byte count
                if ((is_load || is_stream) && pidx == dstart - 1'b1 && !ck_act) cnt <= {5'd0, rx_len};
                if (is_rdck && pidx == 3'd5 && !ck_act) cnt[7:0] <= b;
                if (is_rdck && pidx == 3'd6 && !ck_act) begin
                    cnt[15:8] <= b;
                    rc_ok <= is_chk ? (b != 8'd0 || cnt[7:0] != 8'd0)
                           : (b[7:3] == 5'd0) && (b[2] ? (b[1:0] == 2'd0 && cnt[7:0] == 8'd0)
                                                      : (b[1:0] != 2'd0 || cnt[7:0] != 8'd0));
                end
                if (is_batch_t && !pidx[2]) nz <= nz || (b != 8'd0);
                if ((is_load || is_stream) && pidx >= dstart) begin
                    if (pidx == dstart) begin
                        // first data byte: decide once for the whole frame
                        wr_en  <= w_ok && eng_free;
                        we_r   <= w_ok && eng_free;
                        argbad <= !w_ok;
                        blk    <= w_ok && !eng_free;
                    end else begin
                        we_r <= wr_en;
                    end
                end
            end
            if (push) wr_en <= 1'b0;
            if (rq_take) begin
                rq_v    <= 1'b1;
                rq_code <= code_now;
                rq_rx   <= !intact;
                rq_type <= (rx_err_valid && !rx_err_tknown) ? 8'd0 : rx_type;
                rq_seq  <= rx_seq;
            end else if (rq_pop) begin
                rq_v <= 1'b0;
            end
        end
    end

    // ---------------------------------------------------------------- response FSM
    localparam [2:0] S_IDLE = 3'd0, S_DECIDE = 3'd1, S_CFGWAIT = 3'd2, S_COMPUTE = 3'd3,
                     S_PREP = 3'd4, S_SEND = 3'd5, S_SEND1 = 3'd6, S_SENDW = 3'd7;

    // (fsm_encoding none: here yosys's one-hot re-encoding of state registers costs cells)
    (* fsm_encoding = "none" *)
    reg [2:0]  st;
    reg        ret_c;                 // after the send, back to S_COMPUTE
    reg [3:0]  rk;
    reg [3:0]  e_reason;
    reg [7:0]  e_type;
    reg [1:0]  wait_cnt;              // S_CFGWAIT: toggles of cycle[CWB] left
    reg        cw_prev;
    reg        is_batch;
    reg        ib;                    // argument bank of the running INFER/BATCH
    reg        rb;                    // argument bank of the request being answered
    reg [10:0] rcnt;                  // its LOAD/STREAM data count (the echo)
    reg        ck_go;                 // pulse: CHECK accepted, compute the CRC
    wire       ck_run;                // the CHECK's CRC is being computed
    reg [7:0]  inf_seq;
    reg        done_seen;
    reg        cnt_clear;
    reg        inc_rejected;
    reg        fin;                   // pulse: INFER/BATCH finished, add the busy count
    reg        bz;                    // pulse: INFER/BATCH accepted, zero the busy count
    reg        tst_wait;              // INFER/BATCH accepted, BUSY not yet seen
    reg [7:0]  bb8;                   // busy cycles, low byte (carries go to the RAM)
    wire       jobs_idle;
    reg        left_zero;             // the BATCH's n, counted down at each start, reached 0
    wire       left_busy;             // that count-down is pending or running

    assign rq_pop = (st == S_DECIDE) || (st == S_COMPUTE && rq_v);
    wire   rq_own = (rq_code != 4'd0) && (rq_code <= E_BAD_LEN);  // keeps its reason if busy
    wire   bl_last = !is_batch || left_zero;  // this was the last inference

    task send_err(input [3:0] reason);
        begin
            rk           <= RK_ERR;
            e_reason     <= reason;
            inc_rejected <= (reason >= E_UNKNOWN);
        end
    endtask

    localparam integer CWB = ($clog2(CFG_WAIT + 1) > 2) ? $clog2(CFG_WAIT + 1) - 2 : 0;
    always @(posedge clk) begin
        cw_prev      <= cycle[CWB];
        tx_start     <= 1'b0;
        eng_start    <= 1'b0;
        cfg_commit   <= 1'b0;
        cnt_clear    <= 1'b0;
        inc_rejected <= 1'b0;
        err_pulse    <= 1'b0;
        fin          <= 1'b0;
        bz           <= 1'b0;
        ck_go        <= 1'b0;
        if (rst) begin
            st <= S_IDLE; ret_c <= 1'b0; rk <= RK_ERR; e_reason <= 4'd0; e_type <= 8'd0;
            tx_seq <= 8'd0; wait_cnt <= 2'd0; is_batch <= 1'b0; ib <= 1'b0; ab <= 1'b0;
            rb <= 1'b0; rcnt <= 11'd0; ck_go <= 1'b0;
            inf_seq <= 8'd0; done_seen <= 1'b0; computing <= 1'b0; tst_wait <= 1'b0;
            bb8 <= 8'd0;
        end else begin
            if (eng_done) done_seen <= 1'b1;
            if (eng_busy) begin
                tst_wait <= 1'b0;
                bb8      <= bb8 + 1'b1;
            end
            case (st)
            S_IDLE: if (rq_v) st <= S_DECIDE;
            S_DECIDE: begin
                e_type <= rq_type;
                tx_seq <= rq_seq;
                ret_c  <= 1'b0;
                st     <= S_PREP;
                // The answer reads this request's arguments from bank ab and its count from
                // rcnt; the next request's arguments go to the other bank, so a LOAD may
                // arrive while this answer is sent (pipelining, docs/protocol.md §2).
                rb     <= ab;
                ab     <= ~ab;
                rcnt   <= cnt[10:0];
                if (rq_code != 4'd0 && rq_code != E_BAD_ARG) begin
                    send_err(rq_code);
                end else if ((rq_type == T_INFER || rq_type == T_BATCH) && !cfg_valid) begin
                    send_err(E_NOT_CFG);                  // before BATCH n = 0
                end else if (rq_code != 4'd0) begin
                    send_err(rq_code);
                end else begin
                    rk <= rq_type[3:0];
                    case (rq_type)
                    T_LOAD: if (reg2 == 2'd0) begin
                        cfg_commit <= 1'b1;
                        wait_cnt   <= 2'd3;
                        st         <= S_CFGWAIT;
                    end
                    T_INFER, T_BATCH: begin
                        is_batch  <= rq_type[1];
                        inf_seq   <= rq_seq;
                        ib        <= ab;         // later requests must not touch the id
                        eng_start <= 1'b1;
                        done_seen <= 1'b0;
                        computing <= 1'b1;
                        tst_wait  <= 1'b1;
                        bb8       <= 8'd0;
                        bz        <= 1'b1;
                        st        <= S_COMPUTE;
                    end
                    T_RESET: cnt_clear <= 1'b1;
                    T_CHECK: ck_go     <= 1'b1;
                    default: ;
                    endcase
                end
            end
            S_CFGWAIT: begin
                // the verdict comes with cfg_done; the budget (2..3 periods of 2^CWB cycles)
                // only guards against a hang
                if (!cfg_done && wait_cnt != 2'd0) begin
                    if (cycle[CWB] != cw_prev) wait_cnt <= wait_cnt - 1'b1;
                end else begin
                    st <= S_PREP;
                    if (cfg_error || !cfg_valid) send_err(E_BAD_ARG);
                end
            end
            S_COMPUTE: begin
                if (rq_v) begin
                    // a request while computing: answer at once
                    e_type <= rq_type;
                    tx_seq <= rq_seq;
                    send_err(rq_own ? rq_code : E_BUSY);
                    st    <= S_PREP;
                    ret_c <= 1'b1;
                end else if (done_seen && !eng_done && !left_busy) begin
                    done_seen <= 1'b0;
                    if (!bl_last) begin
                        eng_start <= 1'b1;
                    end else begin
                        computing <= 1'b0;
                        fin       <= 1'b1;
                        tx_seq    <= inf_seq;
                        rk        <= is_batch ? RK_BATCH : RK_INFER;
                        st        <= S_PREP;
                        ret_c     <= 1'b0;
                    end
                end
            end
            S_PREP: if (jobs_idle && !ck_go && !ck_run) st <= S_SEND;  // value RAM, CRC ready
            S_SEND: begin
                tx_start  <= 1'b1;
                err_pulse <= (rk == RK_ERR);
                st        <= S_SEND1;
            end
            S_SEND1: st <= S_SENDW;                   // frame_tx raises busy
            default: if (!tx_busy) st <= ret_c ? S_COMPUTE : S_IDLE;   // S_SENDW
            endcase
        end
    end

    assign tx_type = (rk == RK_ERR) ? 8'hFF : {4'h8, rk};
    always @(*) begin
        case (rk)
        RK_ERR:      tx_len = 11'd2;
        RK_IDENT:    tx_len = 11'd42 + {7'd0, cfg_n_layers[2:0], 1'b0};  // K = 0: one size
        RK_LOAD:     tx_len = 11'd7;
        RK_READ:     tx_len = cnt[10:0];
        RK_CHECK:    tx_len = 11'd9;
        RK_STREAM:   tx_len = 11'd14;
        RK_INFER:    tx_len = 11'd28 + {1'b0, n_out_last[8:0], 1'b0};
        RK_BATCH:    tx_len = 11'd32 + {1'b0, n_out_last[8:0], 1'b0};
        RK_COUNTERS: tx_len = 11'd48;
        default:     tx_len = 11'd0;                                      // RESET
        endcase
    end

    // stamps: the first BUSY-high cycle after an INFER/BATCH is accepted (t_start), the
    // DONE cycle (t_done; for one inference t_done - t_start = busy cycles = the cycles a
    // scope sees on the BUSY pin, docs/protocol.md §4.2), the cycle a request record is
    // queued (STREAM stamp, COUNTERS cycle_now). Never two at once in a meaningful case:
    // a record queued with DONE or the first BUSY cycle is answered BUSY.
    always @(*) begin
        sm_we = 1'b1;
        if (eng_done)                   sm_wa = SL_TDN;
        else if (tst_wait && eng_busy)  sm_wa = SL_TST;
        else begin                      sm_wa = SL_SNAP; sm_we = rq_take; end
    end

    // ---------------------------------------------------------------- job engine
    localparam integer NJ = 16;
    localparam [3:0] J_CLR = 4'd0, J_OK = 4'd1, J_HCRC = 4'd2, J_CRC = 4'd3, J_OVER = 4'd4,
                     J_TMO = 4'd5, J_REJ = 4'd6, J_GARB = 4'd7, J_INF = 4'd8, J_BZERO = 4'd9,
                     J_LDEC = 4'd10, J_BADD = 4'd11, J_NADD = 4'd12, J_LCNT = 4'd13,
                     J_BWRAP = 4'd14, J_TWRAP = 4'd15;

    reg [NJ-1:0] pend;
    reg [NJ-1:0] pend_set;     // from the FSMs and the event logic (combinational)
    reg          jb_act, jb_ph, jb_c;
    (* fsm_encoding = "none" *)
    reg [3:0]    jb_id;
    reg [5:0]    jb_k;

    // per job: base (byte k is at base | k, so no address adder), last k, zeroing, adding
    // bb8 at byte 0 / -1 / +256 (a busy-counter carry), else +carry-in only. A zeroing job
    // may cover unused bytes around its field (they stay 0).
    reg [7:0] j_base; reg [5:0] j_last; reg j_zero, j_add, j_dec, j_wrap;
    always @(*) begin
        j_zero = 1'b0; j_add = 1'b0; j_dec = 1'b0; j_wrap = 1'b0; j_last = 6'd3;
        j_base = {2'd0, jb_id + 4'd1, 2'b00};                // counters 1..8 at 8 + 4(id-1)
        case (jb_id)
        J_CLR:   begin j_base = A_CNT;           j_last = 6'd47; j_zero = 1'b1; end
        J_BZERO: begin j_base = A_BN & 8'hF0;    j_last = 6'd15; j_zero = 1'b1; end
        J_LDEC:  begin j_base = {4'h7, ib, 3'd0};                j_dec  = 1'b1; end
        J_LCNT:  j_base = A_BN;
        J_BWRAP: begin j_base = A_BSY;           j_last = 6'd5;  j_wrap = 1'b1; end
        J_TWRAP: begin j_base = A_CNT + 8'd40;   j_last = 6'd5;  j_wrap = 1'b1; end
        J_BADD:  begin j_base = A_BSY;           j_last = 6'd5;  j_add  = 1'b1; end
        J_NADD:  begin j_base = A_CNT + 8'd40;   j_last = 6'd5;  j_add  = 1'b1; end
        default: ;
        endcase
    end
    wire [7:0] jb_addr = j_base | {2'd0, jb_k};
    // Garbage bytes come one cycle apart while hb_frame_rx re-scans a bad header, faster than
    // a job runs: they are counted in g_acc, and the garbage job adds what had been counted
    // when it started (g_add) instead of 1. Every other counter event comes at most once per
    // UART byte (>= 40 cycles at 4 cycles per bit) and a byte starts at most two counter jobs
    // (9 cycles each), so a pending bit is taken before its next event and one bit per job
    // counts every event once (the exception would be the 97 cycles of RESET's clear, but a
    // host waits for the RESET answer). g_acc holds at most ~10 (5 re-scanned bytes and a
    // few UART bytes); 5 bits leave room.
    reg  [4:0] g_acc, g_add;
    wire       j_garb  = (jb_id == J_GARB);
    wire [7:0] j_src   = (j_add && jb_k == 6'd0) ? bb8 :
                         (j_garb && jb_k == 6'd0) ? {3'd0, g_add} :
                         {{7{j_dec}}, j_dec || (j_wrap && jb_k == 6'd1)};
    wire [8:0] j_sum   = {1'b0, j_zero ? 8'd0 : vm_rd} + {1'b0, j_src} + {8'd0, jb_c};
    assign jb_wr = jb_act && jb_ph;
    assign jb_rd = jb_act && !jb_ph;
    assign jobs_idle = !jb_act && (pend == {NJ{1'b0}}) && (pend_set == {NJ{1'b0}});
    assign left_busy = pend[J_LDEC] || (jb_act && jb_id == J_LDEC);

    // lowest pending index
    reg [3:0] j_next;
    integer ji;
    always @(*) begin
        j_next = 4'd0;
        for (ji = NJ - 1; ji >= 0; ji = ji - 1)
            if (pend[ji]) j_next = ji[3:0];
    end

    assign vm_we = jb_wr || aw_v;
    assign vm_wa = jb_wr ? jb_addr : {4'h7, ab, aw_i};
    assign vm_wd = jb_wr ? j_sum[7:0] : rx_pl_data;

    always @(*) begin
        pend_set = {NJ{1'b0}};
        pend_set[J_CLR]   = cnt_clear;
        pend_set[J_OK]    = rx_end_valid && rx_end_crc_ok;
        pend_set[J_CRC]   = rx_end_valid && !rx_end_crc_ok;
        pend_set[J_HCRC]  = rx_err_valid && rx_err_reason == 3'd1;
        pend_set[J_OVER]  = rx_err_valid && rx_err_reason == 3'd3;
        pend_set[J_TMO]   = rx_err_valid && rx_err_reason == 3'd4;
        pend_set[J_REJ]   = inc_rejected;
        pend_set[J_GARB]  = rx_garbage;
        pend_set[J_INF]   = eng_done;
        pend_set[J_BZERO] = bz;
        pend_set[J_LDEC]  = eng_start && is_batch;
        pend_set[J_LCNT]  = eng_start && is_batch;
        pend_set[J_BWRAP] = eng_busy && bb8 == 8'hFF;
        pend_set[J_TWRAP] = eng_busy && bb8 == 8'hFF;
        pend_set[J_BADD]  = fin;
        pend_set[J_NADD]  = fin;
    end
    wire jb_go = !jb_act && (pend != {NJ{1'b0}});
    always @(posedge clk) begin
        if (rst) begin
            pend <= {{(NJ-1){1'b0}}, 1'b1};   // clear the counters after reset
            jb_act <= 1'b0; jb_ph <= 1'b0; jb_c <= 1'b0; jb_id <= 4'd0; jb_k <= 6'd0;
            left_zero <= 1'b0; g_acc <= 5'd0; g_add <= 5'd0;
        end else begin
            if (cnt_clear || (jb_go && j_next == J_GARB)) g_acc <= {4'd0, rx_garbage};
            else                                          g_acc <= g_acc + {4'd0, rx_garbage};
            if (jb_go && j_next == J_GARB) g_add <= g_acc;
            // RESET drops counter increments still pending (they predate it)
            pend <= (pend & ~((jb_go ? ({{(NJ-1){1'b0}}, 1'b1} << j_next) : {NJ{1'b0}})
                              | (cnt_clear ? {{(NJ-9){1'b0}}, 8'hFF, 1'b0} : {NJ{1'b0}})))
                    | pend_set;
            if (jb_go) begin
                jb_act <= 1'b1; jb_id <= j_next; jb_k <= 6'd0; jb_ph <= 1'b0;
                if (j_next == J_LDEC) left_zero <= 1'b1;
                // increments carry in 1 (garbage adds g_add)
                jb_c   <= (j_next >= J_OK && j_next <= J_INF && j_next != J_GARB) ||
                          j_next == J_LCNT;
            end else if (jb_act) begin
                jb_ph <= ~jb_ph;
                if (jb_ph) begin
                    if (jb_id == J_LDEC && j_sum[7:0] != 8'd0) left_zero <= 1'b0;
                    jb_c <= j_sum[8];
                    jb_k <= jb_k + 1'b1;
                    if (jb_k == j_last) jb_act <= 1'b0;
                end
            end
        end
    end

    // ---------------------------------------------------------------- payload fetch
    wire [9:0]  idx    = tx_pl_idx[9:0];              // < 1024 where it matters
    wire        unused_idx = tx_pl_idx[10];
    wire        rk_inf = (rk == RK_INFER || rk == RK_BATCH);
    // spike counts from payload byte 28 (INFER) / 32 (BATCH): count (idx - base) / 2
    wire        src_cnt = rk_inf && (idx[9:1] >= (rk[1] ? 9'd16 : 9'd14));
    assign cnt_idx  = idx[8:1] - (rk[1] ? 8'd16 : 8'd14);
    assign size_idx = {~idx[3], idx[2:1]};                  // (idx - 40) / 2

    // The byte is an OR of sources, each gated by a one-hot select that F_IDLE decides from
    // the response kind and index and registers (fs): no per-bit decoding of kind and index.
    // Engine fields are cut to their documented ranges (K <= MAX_LAYERS, L and spike counts
    // <= MAX_L, sizes <= MAX_N_IN / MAX_N_OUT, n_out <= MAX_N_OUT).
    localparam integer NF = 20;
    localparam integer FS_VM = 0, FS_ST = 1, FS_MEM = 2, FS_DLO = 3, FS_DHI = 4, FS_RSN = 5,
                       FS_TYP = 6, FS_CV = 7, FS_K = 8, FS_LLO = 9, FS_LHI = 10, FS_SLO = 11,
                       FS_SHI = 12, FS_CLO = 13, FS_CHI = 14, FS_CLS = 15, FS_NLO = 16,
                       FS_NHI = 17, FS_KLO = 18, FS_KHI = 19;
    localparam integer MS = (MAX_N_IN > MAX_N_OUT) ? MAX_N_IN : MAX_N_OUT;
    localparam [15:0] M_K = (16'd1 << $clog2(MAX_LAYERS + 1)) - 16'd1,
                      M_L = (16'd1 << $clog2(MAX_L + 1)) - 16'd1,
                      M_S = (16'd1 << $clog2(MS + 1)) - 16'd1,
                      M_N = (16'd1 << $clog2(MAX_N_OUT + 1)) - 16'd1;
    wire [15:0] e_L = cfg_L & M_L, e_S = size_data & M_S, e_N = n_out_last & M_N,
                e_D = cnt_data & M_L;
    wire [7:0]  e_K = cfg_n_layers & M_K[7:0];

    reg [NF-1:0] f_sel, fs;
    reg [7:0]    f_ra;
    reg [1:0]    f_slot;
    reg [2:0]    f_k;
    always @(*) begin
        f_sel = {NF{1'b0}}; f_slot = SL_SNAP; f_k = idx[2:0];
        f_ra = {4'h7, rk_inf ? ib : rb, idx[2:0]};          // argument bank
        case (rk)
        RK_ERR: if (idx[0]) f_sel[FS_TYP] = 1'b1; else f_sel[FS_RSN] = 1'b1;
        RK_IDENT: begin
            f_ra = A_ID | {2'd0, idx[5:0]};
            if (idx[5:0] < 6'd36)      f_sel[FS_VM] = 1'b1;
            else if (idx[5:0] >= 6'd40) begin
                if (idx[0]) f_sel[FS_SHI] = 1'b1; else f_sel[FS_SLO] = 1'b1;
            end else begin                                // 0 when not configured
                case (idx[1:0])
                2'd0:    f_sel[FS_CV]  = 1'b1;
                2'd1:    f_sel[FS_K]   = 1'b1;
                2'd2:    f_sel[FS_LLO] = 1'b1;
                default: f_sel[FS_LHI] = 1'b1;
                endcase
            end
        end
        RK_LOAD:                                        // region, offset, count
            if (idx[2:0] == 3'd5)      f_sel[FS_CLO] = 1'b1;
            else if (idx[2:0] == 3'd6) f_sel[FS_CHI] = 1'b1;
            else                       f_sel[FS_VM]  = 1'b1;
        RK_READ: f_sel[FS_MEM] = 1'b1;
        RK_CHECK:                                       // region, offset, count, crc
            if (idx[3:0] == 4'd7)      f_sel[FS_KLO] = 1'b1;
            else if (idx[3:0] == 4'd8) f_sel[FS_KHI] = 1'b1;
            else                       f_sel[FS_VM]  = 1'b1;
        RK_STREAM:                                      // offset, count, stamp
            if (idx[3:0] == 4'd4)      f_sel[FS_CLO] = 1'b1;
            else if (idx[3:0] == 4'd5) f_sel[FS_CHI] = 1'b1;
            else if (idx[3:0] >= 4'd6) begin f_sel[FS_ST] = 1'b1; f_k = idx[2:0] + 3'd2; end
            else                       f_sel[FS_VM] = 1'b1;
        RK_INFER, RK_BATCH:                             // id/n, class, n_out, stamps, busy
            if (src_cnt) begin
                if (idx[0]) f_sel[FS_DHI] = 1'b1; else f_sel[FS_DLO] = 1'b1;
            end else if (idx[4:2] == 3'd0) begin
                f_sel[FS_VM] = 1'b1;
                if (rk[1]) f_ra = A_BN | {6'd0, idx[1:0]};
            end else if (idx[4:2] == 3'd1) begin
                case (idx[1:0])                           // byte 5 is 0
                2'd0:    f_sel[FS_CLS] = 1'b1;
                2'd2:    f_sel[FS_NLO] = 1'b1;
                2'd3:    f_sel[FS_NHI] = 1'b1;
                default: ;
                endcase
            end else if (idx[4:3] == 2'd3) begin
                f_sel[FS_VM] = 1'b1;
                f_ra = {3'b010, idx[4:0]};
            end else begin
                f_sel[FS_ST] = 1'b1; f_slot = idx[4] ? SL_TDN : SL_TST;
            end
        default:                                        // COUNTERS
            if (idx[5:3] == 3'd0) f_sel[FS_ST] = 1'b1;
            else begin f_sel[FS_VM] = 1'b1; f_ra = A_CNT | {2'd0, idx[5:0]}; end
        endcase
    end
    assign sm_ra = f_slot;
    reg [7:0] st_byte;
    always @(*) begin
        case (f_k)
        3'd0:    st_byte = sm_rd[7:0];
        3'd1:    st_byte = sm_rd[15:8];
        3'd2:    st_byte = sm_rd[23:16];
        3'd3:    st_byte = sm_rd[31:24];
        3'd4:    st_byte = sm_rd[39:32];
        3'd5:    st_byte = sm_rd[47:40];
        default: st_byte = 8'd0;                      // u64 stamps: bytes 6, 7
        endcase
    end
    wire [7:0] f_data = ({8{fs[FS_VM]}}  & vm_rd)         | ({8{fs[FS_ST]}}  & st_byte)
                      | ({8{fs[FS_MEM]}} & mem_rdata)     | ({8{fs[FS_DLO]}} & e_D[7:0])
                      | ({8{fs[FS_DHI]}} & e_D[15:8])     | ({8{fs[FS_RSN]}} & {4'd0, e_reason})
                      | ({8{fs[FS_TYP]}} & e_type)        | {7'd0, fs[FS_CV] & cfg_valid}
                      | ({8{fs[FS_K]}}   & e_K)           | ({8{fs[FS_LLO]}} & e_L[7:0])
                      | ({8{fs[FS_LHI]}} & e_L[15:8])     | ({8{fs[FS_SLO]}} & e_S[7:0])
                      | ({8{fs[FS_SHI]}} & e_S[15:8])     | ({8{fs[FS_CLO]}} & rcnt[7:0])
                      | ({8{fs[FS_CHI]}} & {5'd0, rcnt[10:8]})
                      | ({8{fs[FS_KLO]}} & ck_crc[7:0])   | ({8{fs[FS_KHI]}} & ck_crc[15:8])
                      | ({8{fs[FS_CLS]}} & result_class)  | ({8{fs[FS_NLO]}} & e_N[7:0])
                      | ({8{fs[FS_NHI]}} & e_N[15:8]);

    localparam [2:0] F_IDLE = 3'd0, F_MEM = 3'd1, F_MWAIT = 3'd2, F_RAM = 3'd3,
                     F_RWAIT = 3'd4;
    (* fsm_encoding = "none" *)
    reg [2:0] fst;
    always @(posedge clk) begin
        tx_pl_ack <= 1'b0;
        if (rst) begin
            fst <= F_IDLE; tx_pl_data <= 8'd0; fs <= {NF{1'b0}};
        end else begin
            case (fst)
            F_IDLE: if (tx_pl_req) begin
                fs  <= f_sel;
                fst <= (rk == RK_READ) ? F_MEM : F_RAM;
            end
            F_MEM: if (!we_r) fst <= F_MWAIT;          // mem_re is issued this cycle
            F_MWAIT: if (mem_rvalid) begin
                tx_pl_data <= f_data;
                tx_pl_ack  <= 1'b1;
                fst        <= F_IDLE;
            end
            F_RAM: if (!jb_rd) fst <= F_RWAIT;         // the RAM reads are issued this cycle
            default: begin                              // F_RWAIT (counts: cnt_idx is 2+ old)
                tx_pl_data <= f_data;
                tx_pl_ack  <= 1'b1;
                fst        <= F_IDLE;
            end
            endcase
        end
    end
    assign vm_ra   = jb_rd ? jb_addr : f_ra;

    // ---------------------------------------------------------------- CHECK
    // CRC-16 (the frame CRC) over count bytes of a region from the offset, read through the
    // byte port one at a time (3 cycles per byte) before the answer is sent. The address is
    // the RX side's ma and the count its cnt, counted down: a host sends CHECK only when no
    // other request is outstanding (docs/protocol.md §4.6), so nothing else moves them.
    reg         ck_wait;
    reg  [15:0] ck_crc;
    wire [15:0] ck_crc_n;
    hb_crc16 u_ck (.crc_in(ck_crc), .data(mem_rdata), .crc_out(ck_crc_n));
    wire        ck_re  = ck_act && !ck_wait && !we_r;
    wire        ck_got = ck_wait && mem_rvalid;
    assign ck_run = ck_act;
    assign ck_dec = ck_got;
    always @(posedge clk) begin
        if (rst) begin
            ck_act <= 1'b0; ck_wait <= 1'b0; ck_crc <= 16'hFFFF;
        end else if (ck_go) begin
            ck_act <= 1'b1; ck_wait <= 1'b0; ck_crc <= 16'hFFFF;
        end else if (ck_act) begin
            if (ck_re) ck_wait <= 1'b1;
            if (ck_got) begin
                ck_wait <= 1'b0;
                ck_crc  <= ck_crc_n;
                if (cnt == 16'd1) ck_act <= 1'b0;
            end
        end
    end

    assign ma_rinc = ((fst == F_MWAIT) || ck_wait) && mem_rvalid;

    // engine byte port: a write has priority; a read waits one cycle behind it
    assign mem_we     = we_r;
    assign mem_re     = ((fst == F_MEM) || ck_re) && !we_r;
    assign mem_region = reg2;
    assign mem_addr   = ma;
    assign mem_wdata  = rx_pl_data;
endmodule
`default_nettype wire
