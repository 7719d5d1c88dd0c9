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
//  * Payload fetch: frame_tx pulls payload bytes by index; fixed fields come from a byte
//    mux, READ data and identify sizes from the engine's byte port, spike counts from the
//    engine's count port.
// Counters (§4.4): frames_ok counts frames whose header and CRC were good (a good frame can
// still be rejected: frames_rejected counts UNKNOWN_TYPE, BAD_LENGTH, BAD_ARG, BUSY,
// NOT_CONFIGURED answers). busy_cycles adds t_done - t_start of every inference.
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
    localparam [32:0] CFG_BYTES = 33'd160;

    function [32:0] region_size(input [7:0] r);
        case (r)
        8'd0:    region_size = CFG_BYTES;
        8'd1:    region_size = WMEM_BYTES;
        default: region_size = IMEM_BYTES;
        endcase
    endfunction

    // ---------------------------------------------------------------- RX side
    reg  [55:0] cap;           // first 7 payload bytes, little-endian
    reg  [15:0] pidx;          // payload byte index
    reg         in_frame;
    reg         wr_en;         // data bytes of this frame go to the engine
    reg  [19:0] wr_addr;
    reg  [1:0]  wr_region;
    reg         we_r;
    reg  [7:0]  wd_r;
    reg  [19:0] wa_r;
    reg  [1:0]  wreg_r;
    reg         computing;     // set by the response FSM from start until the result is built

    // request record (1 deep)
    reg         rq_v;
    reg         rq_err;        // 1: receiver error record (reason in rq_reason)
    reg  [7:0]  rq_reason, rq_type, rq_seq;
    reg  [15:0] rq_len;
    reg  [55:0] rq_a;
    reg  [47:0] rq_stamp;
    reg         rq_pop;

    // data start index and range check for LOAD / STREAM
    wire        is_load   = (rx_type == T_LOAD);
    wire        is_stream = (rx_type == T_STREAM);
    wire [15:0] dstart    = is_load ? 16'd5 : 16'd4;
    wire [7:0]  w_region  = is_load ? cap[7:0] : 8'd2;
    wire [31:0] w_offset  = is_load ? cap[39:8] : cap[31:0];
    wire [32:0] w_end     = {1'b0, w_offset} + {17'd0, rx_len - dstart};
    wire        w_ok      = (is_load ? (cap[7:0] <= 8'd1) : 1'b1)
                            && (w_end <= region_size(w_region));

    wire push      = (rx_end_valid || rx_err_valid);

    always @(posedge clk) begin
        we_r <= 1'b0;
        if (rst) begin
            cap <= 56'd0; pidx <= 16'd0; in_frame <= 1'b0; wr_en <= 1'b0; wr_addr <= 20'd0;
            wr_region <= 2'd0; wd_r <= 8'd0; wa_r <= 20'd0; wreg_r <= 2'd0;
            rq_v <= 1'b0; rq_err <= 1'b0; rq_reason <= 8'd0; rq_type <= 8'd0; rq_seq <= 8'd0;
            rq_len <= 16'd0; rq_a <= 56'd0; rq_stamp <= 48'd0;
        end else begin
            if (rx_hdr_valid) begin
                in_frame <= 1'b1;
                pidx     <= 16'd0;
                wr_en    <= 1'b0;
                cap      <= 56'd0;
            end
            if (rx_pl_valid && in_frame) begin
                pidx <= pidx + 1'b1;
                case (pidx)
                16'd0: cap[7:0]   <= rx_pl_data;
                16'd1: cap[15:8]  <= rx_pl_data;
                16'd2: cap[23:16] <= rx_pl_data;
                16'd3: cap[31:24] <= rx_pl_data;
                16'd4: cap[39:32] <= rx_pl_data;
                16'd5: cap[47:40] <= rx_pl_data;
                16'd6: cap[55:48] <= rx_pl_data;
                default: ;
                endcase
                if ((is_load || is_stream) && pidx >= dstart) begin
                    // first data byte: decide once for the whole frame
                    if (pidx == dstart ? (w_ok && !computing && !eng_busy) : wr_en) begin
                        we_r   <= 1'b1;
                        wd_r   <= rx_pl_data;
                        wa_r   <= (pidx == dstart) ? w_offset[19:0] : wr_addr;
                        wreg_r <= w_region[1:0];
                    end
                    if (pidx == dstart) begin
                        wr_en     <= w_ok && !computing && !eng_busy;
                        wr_addr   <= w_offset[19:0] + 1'b1;
                        wr_region <= w_region[1:0];
                    end else begin
                        wr_addr <= wr_addr + 1'b1;
                    end
                end
            end
            if (push) begin
                in_frame <= 1'b0;
                wr_en    <= 1'b0;
                rq_err    <= rx_err_valid || !rx_end_crc_ok;
                rq_reason <= rx_err_valid ? rx_err_reason : E_BAD_CRC;
                rq_type   <= rx_err_valid ? rx_err_type : rx_type;
                rq_seq    <= rx_err_valid ? rx_err_seq : rx_seq;
                rq_len    <= rx_len;
                rq_a      <= cap;
                rq_stamp  <= cycle;
                if (!rq_v || rq_pop) rq_v <= 1'b1;   // else: dropped (see header)
            end else if (rq_pop) begin
                rq_v <= 1'b0;
            end
        end
    end

    // ---------------------------------------------------------------- response FSM
    localparam [3:0] S_IDLE = 4'd0, S_DECIDE = 4'd1, S_CFGWAIT = 4'd2, S_COMPUTE = 4'd3,
                     S_SEND = 4'd4, S_SEND1 = 4'd5, S_SENDW = 4'd6, S_BUSYERR = 4'd7;

    reg [3:0]  st, ret;
    reg [3:0]  rk;
    reg [7:0]  e_reason, e_type;
    reg        c_err;                 // current record
    reg [7:0]  c_reason, c_type, c_seq;
    reg [15:0] c_len;
    reg [55:0] c_a;
    reg [47:0] c_stamp;
    reg [11:0] wait_cnt;
    // results
    reg        is_batch;
    reg [7:0]  inf_seq;
    reg [31:0] inf_arg;               // sample_id or n
    reg [31:0] batch_left;
    reg [47:0] t_start, t_done, t_first;
    reg [47:0] batch_busy;
    reg [7:0]  res_class;
    reg [15:0] res_nout;
    reg        done_seen;
    reg [47:0] cyc_snap;
    reg        cnt_clear;
    reg        inc_rejected;

    wire [47:0] busy_delta = cycle - t_start;
    wire [31:0] busy_delta_last = t_done[31:0] - t_start[31:0];

    // argument decode of the current record
    wire [7:0]  a_region = c_a[7:0];
    wire [31:0] a_off5   = c_a[39:8];    // LOAD / READ offset
    wire [15:0] a_count  = c_a[55:40];   // READ count
    wire [31:0] a_u32    = c_a[31:0];    // STREAM offset, INFER id, BATCH n
    wire [32:0] ld_end   = {1'b0, a_off5} + {17'd0, c_len - 16'd5};
    wire [32:0] rd_end   = {1'b0, a_off5} + {17'd0, a_count};
    wire [32:0] st_end   = {1'b0, a_u32}  + {17'd0, c_len - 16'd4};

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
        if (rst) begin
            st <= S_IDLE; ret <= S_IDLE; rk <= RK_ERR; e_reason <= 8'd0; e_type <= 8'd0;
            tx_type <= 8'd0; tx_seq <= 8'd0; tx_len <= 16'd0;
            c_err <= 1'b0; c_reason <= 8'd0; c_type <= 8'd0; c_seq <= 8'd0; c_len <= 16'd0;
            c_a <= 56'd0; c_stamp <= 48'd0; wait_cnt <= 12'd0;
            is_batch <= 1'b0; inf_seq <= 8'd0; inf_arg <= 32'd0; batch_left <= 32'd0;
            t_start <= 48'd0; t_done <= 48'd0; t_first <= 48'd0; batch_busy <= 48'd0;
            res_class <= 8'd0; res_nout <= 16'd0; done_seen <= 1'b0; cyc_snap <= 48'd0;
            computing <= 1'b0;
        end else begin
            if (eng_done) begin
                t_done     <= cycle;
                batch_busy <= batch_busy + busy_delta;
                res_class  <= result_class;
                res_nout   <= n_out_last;
                done_seen  <= 1'b1;
            end
            case (st)
            S_IDLE: if (rq_v) begin
                rq_pop  <= 1'b1;
                c_err <= rq_err; c_reason <= rq_reason; c_type <= rq_type; c_seq <= rq_seq;
                c_len <= rq_len; c_a <= rq_a; c_stamp <= rq_stamp;
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
                        rk     <= RK_IDENT;
                        tx_len <= 16'd42 + (cfg_valid ? {7'd0, cfg_n_layers, 1'b0} : 16'd0); // K = 0: one size, 0
                    end
                    T_LOAD: begin
                        if (a_region > 8'd1 || ld_end > region_size(a_region)) begin
                            send_err(E_BAD_ARG, c_type, c_seq); inc_rejected <= 1'b1;
                        end else begin
                            rk <= RK_LOAD; tx_len <= 16'd7;
                            if (a_region == 8'd0) begin
                                cfg_commit <= 1'b1;
                                wait_cnt   <= CFG_WAIT[11:0];
                                st         <= S_CFGWAIT;
                            end
                        end
                    end
                    T_READ: begin
                        if (a_region > 8'd2 || a_count == 16'd0 || a_count > 16'd1024
                            || rd_end > region_size(a_region)) begin
                            send_err(E_BAD_ARG, c_type, c_seq); inc_rejected <= 1'b1;
                        end else begin
                            rk <= RK_READ; tx_len <= a_count;
                        end
                    end
                    T_STREAM: begin
                        if (st_end > region_size(8'd2)) begin
                            send_err(E_BAD_ARG, c_type, c_seq); inc_rejected <= 1'b1;
                        end else begin
                            rk <= RK_STREAM; tx_len <= 16'd14;
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
                            inf_arg    <= a_u32;
                            batch_left <= (c_type == T_BATCH) ? a_u32 : 32'd1;
                            batch_busy <= 48'd0;
                            t_start    <= cycle;
                            t_first    <= cycle;
                            eng_start  <= 1'b1;
                            done_seen  <= 1'b0;
                            computing  <= 1'b1;
                            st         <= S_COMPUTE;
                        end
                    end
                    T_COUNTERS: begin
                        rk <= RK_COUNTERS; tx_len <= 16'd48; cyc_snap <= cycle;
                    end
                    default: begin                    // RESET
                        rk <= RK_EMPTY; tx_len <= 16'd0; cnt_clear <= 1'b1;
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
                        t_start    <= cycle;
                        eng_start  <= 1'b1;
                    end else begin
                        computing <= 1'b0;
                        tx_type   <= is_batch ? (T_BATCH | 8'h80) : (T_INFER | 8'h80);
                        tx_seq    <= inf_seq;
                        rk        <= is_batch ? RK_BATCH : RK_INFER;
                        tx_len    <= (is_batch ? 16'd32 : 16'd28) + {res_nout[14:0], 1'b0};
                        st        <= S_SEND;
                        ret       <= S_IDLE;
                    end
                end
            end
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

    // ---------------------------------------------------------------- counters (§4.4)
    reg [31:0] n_ok, n_hcrc, n_crc, n_over, n_tmo, n_rej, n_garb, n_inf;
    reg [47:0] n_busy;
    always @(posedge clk) begin
        if (rst || cnt_clear) begin
            n_ok <= 32'd0; n_hcrc <= 32'd0; n_crc <= 32'd0; n_over <= 32'd0; n_tmo <= 32'd0;
            n_rej <= 32'd0; n_garb <= 32'd0; n_inf <= 32'd0; n_busy <= 48'd0;
        end else begin
            if (rx_end_valid && rx_end_crc_ok)  n_ok   <= n_ok + 1'b1;
            if (rx_end_valid && !rx_end_crc_ok) n_crc  <= n_crc + 1'b1;
            if (rx_err_valid && rx_err_reason == 8'd1) n_hcrc <= n_hcrc + 1'b1;
            if (rx_err_valid && rx_err_reason == 8'd3) n_over <= n_over + 1'b1;
            if (rx_err_valid && rx_err_reason == 8'd4) n_tmo  <= n_tmo + 1'b1;
            if (rx_garbage)   n_garb <= n_garb + 1'b1;
            if (inc_rejected) n_rej  <= n_rej + 1'b1;
            if (eng_done) begin
                n_inf  <= n_inf + 1'b1;
                n_busy <= n_busy + busy_delta;
            end
        end
    end

    // ---------------------------------------------------------------- payload fetch
    // fixed fields: eight little-endian 64-bit words per response kind
    reg [63:0] fw;
    always @(*) begin
        fw = 64'd0;
        case (rk)
        RK_ERR: fw = {48'd0, e_type, e_reason};
        RK_IDENT: case (tx_pl_idx[5:3])
            3'd0: fw = {BUILD_HASH, LANES[15:0], FAMILY[7:0], 8'd1};
            3'd1: fw = {16'd1024, MAX_LAYERS[7:0], 8'd48, CLK_HZ[31:0]};
            3'd2: fw = {CAPS, MAX_L[15:0], MAX_N_OUT[15:0], MAX_N_IN[15:0]};
            3'd3: fw = {IMEM_BYTES[31:0], WMEM_BYTES[31:0]};
            default: fw = {cfg_valid ? cfg_L : 16'd0, cfg_valid ? cfg_n_layers : 8'd0,
                           7'd0, cfg_valid, HMEM_BITS[31:0]};
            endcase
        RK_LOAD:   fw = {8'd0, c_len - 16'd5, a_off5, a_region};
        RK_STREAM: fw = (tx_pl_idx[3]) ? {32'd0, c_stamp[47:16]}
                                       : {c_stamp[15:0], c_len - 16'd4, a_u32};
        RK_INFER, RK_BATCH: case (tx_pl_idx[4:3])
            2'd0: fw = {res_nout, 8'd0, res_class, inf_arg};
            2'd1: fw = {16'd0, is_batch ? t_first : t_start};
            2'd2: fw = {16'd0, t_done};
            default: fw = is_batch ? {16'd0, batch_busy} : {32'd0, busy_delta_last};
            endcase
        RK_COUNTERS: case (tx_pl_idx[5:3])
            3'd0: fw = {16'd0, cyc_snap};
            3'd1: fw = {n_hcrc, n_ok};
            3'd2: fw = {n_over, n_crc};
            3'd3: fw = {n_rej, n_tmo};
            3'd4: fw = {n_inf, n_garb};
            default: fw = {16'd0, n_busy};
            endcase
        default: fw = 64'd0;
        endcase
    end
    wire [7:0]  fbyte = fw[{tx_pl_idx[2:0], 3'b000} +: 8];

    wire [15:0] cnt_base = is_batch ? 16'd32 : 16'd28;
    wire [15:0] cnt_off  = tx_pl_idx - cnt_base;
    wire        src_mem  = (rk == RK_READ);
    wire        src_size = (rk == RK_IDENT) && tx_pl_idx >= 16'd40;
    wire [15:0] size_off = tx_pl_idx - 16'd40;
    assign size_idx = size_off[3:1];
    wire        src_cnt  = (rk == RK_INFER || rk == RK_BATCH) && tx_pl_idx >= cnt_base;

    localparam [1:0] F_IDLE = 2'd0, F_MEM = 2'd1, F_MWAIT = 2'd2, F_CNT = 2'd3;
    reg [1:0]  fst;
    reg [2:0]  fwait;
    reg        fhi;
    reg [19:0] rd_addr;
    reg [1:0]  rd_region;
    always @(posedge clk) begin
        tx_pl_ack <= 1'b0;
        if (rst) begin
            fst <= F_IDLE; fwait <= 3'd0; fhi <= 1'b0; rd_addr <= 20'd0; rd_region <= 2'd0;
            tx_pl_data <= 8'd0; cnt_idx <= 8'd0;
        end else begin
            case (fst)
            F_IDLE: if (tx_pl_req) begin
                if (src_mem) begin
                    fst       <= F_MEM;
                    rd_region <= a_region[1:0];
                    rd_addr   <= a_off5[19:0] + {4'd0, tx_pl_idx};
                end else if (src_size) begin
                    tx_pl_data <= size_off[0] ? size_data[15:8] : size_data[7:0];
                    tx_pl_ack  <= 1'b1;
                end else if (src_cnt) begin
                    fst     <= F_CNT;
                    cnt_idx <= cnt_off[8:1];
                    fhi     <= cnt_off[0];
                    fwait   <= 3'd3;
                end else begin
                    tx_pl_data <= fbyte;
                    tx_pl_ack  <= 1'b1;
                end
            end
            F_MEM: if (!we_r) fst <= F_MWAIT;          // mem_re is issued this cycle
            F_MWAIT: if (mem_rvalid) begin
                tx_pl_data <= mem_rdata;
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

    // engine byte port: a write has priority; a read waits one cycle behind it
    assign mem_we     = we_r;
    assign mem_re     = (fst == F_MEM) && !we_r;
    assign mem_region = we_r ? wreg_r : rd_region;
    assign mem_addr   = we_r ? wa_r : rd_addr;
    assign mem_wdata  = wd_r;
endmodule
`default_nettype wire
