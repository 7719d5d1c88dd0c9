// hb_top -- the design every board top and the virtual board instantiate
// (gateware/rtl/INTERFACES.md). UART link side (hb_uart_rx/tx, hb_frame_rx/tx, hb_cmd)
// around the SC-SNN engine (hb_engine), a free-running 48-bit cycle counter and the LEDs:
//   led[0] heartbeat (toggles about every 0.35-0.7 s), led[1] busy, led[2] error (on for
//   1/16 .. 1/4 s, about 1/8 s, after each ERROR frame), led[3] configured.
`default_nettype none
module hb_top #(
    parameter integer CLK_HZ     = 24_000_000,
    parameter integer BAUD       = 3_000_000,
    parameter integer LANES      = 32,
    parameter integer FAMILY     = 1,
    parameter [31:0]  BUILD_HASH = 32'h0,
    parameter integer WMEM_BYTES = 131072 - 25088,
    parameter integer IMEM_BYTES = 25088,
    parameter integer MAX_L      = 512
) (
    input  wire clk,
    input  wire rst,
    input  wire uart_rx,
    output wire uart_tx,
    output wire done,
    output wire busy,
    output wire [3:0] led,
    output wire [15:0] act_syn,
    output wire [15:0] act_ops,
    output wire        act_wmem,
    output wire        act_imem,
    output wire        act_lif,
    output wire        act_uart
`ifdef HB_VBOARD_PORTS
    // Virtual board only (gateware/vboard): the UART's cycles per bit is an input, so one
    // Verilated model runs any clock and baud (docs/vboard.md, "Clock and baud").
    , input wire [15:0] uart_div
`endif
);
    localparam integer MAX_LAYERS = 4;
    localparam integer MAX_N_IN   = 1024;
    localparam integer MAX_N_OUT  = 256;
    // hidden spike buffer: 784-128-10 at L=256 needs 128*256 bits; iCE40 keeps it to 8 EBR
    localparam integer HMEM_BITS  = (FAMILY == 1) ? 32768 : 131072;
    localparam [15:0]  CAPS       = 16'h003F;   // BATCH, READ, DONE, BUSY pins, CHECK, PIPE
    localparam integer TIMEOUT    = CLK_HZ / 100;

    // free-running cycle counter (not cleared by rst: a stamp counts from power-up)
    reg [47:0] cycle = 48'd0;
    always @(posedge clk) cycle <= cycle + 1'b1;

    // UART
    wire [7:0] rxb;
    wire       rxb_v, rx_ferr, rx_edge, tx_edge;
    wire [7:0] txb;
    wire       txb_v, txb_rdy;
`ifdef HB_VBOARD_PORTS
    localparam integer DYN_DIV = 1;
    wire [15:0] div_in = uart_div;
`else
    localparam integer DYN_DIV = 0;
    wire [15:0] div_in = 16'd0;
`endif
    hb_uart_rx #(.CLK_HZ(CLK_HZ), .BAUD(BAUD), .DYN_DIV(DYN_DIV)) u_urx (
        .clk(clk), .rst(rst), .div_in(div_in), .rx(uart_rx), .data(rxb), .valid(rxb_v),
        .frame_err(rx_ferr), .edge_seen(rx_edge));
    hb_uart_tx #(.CLK_HZ(CLK_HZ), .BAUD(BAUD), .DYN_DIV(DYN_DIV)) u_utx (
        .clk(clk), .rst(rst), .div_in(div_in), .data(txb), .valid(txb_v), .ready(txb_rdy), .tx(uart_tx),
        .edge_out(tx_edge));
    assign act_uart = rx_edge | tx_edge;

    // framing
    wire        f_hdr, f_pl, f_end, f_crc_ok, f_err, f_tknown, f_garb;
    wire [7:0]  f_type, f_seq, f_pl_data;
    wire [2:0]  f_err_reason;
    wire [10:0] f_len;
    hb_frame_rx #(.TIMEOUT_CYC(TIMEOUT)) u_frx (
        .clk(clk), .rst(rst), .cycle(cycle), .in_data(rxb), .in_valid(rxb_v),
        .hdr_valid(f_hdr), .ftype(f_type), .seq(f_seq), .len(f_len),
        .pl_valid(f_pl), .pl_data(f_pl_data), .end_valid(f_end), .end_crc_ok(f_crc_ok),
        .err_valid(f_err), .err_reason(f_err_reason), .err_tknown(f_tknown),
        .garbage(f_garb));

    wire        t_start, t_busy, t_req, t_ack;
    wire [7:0]  t_type, t_seq, t_data;
    wire [10:0] t_len, t_idx;
    hb_frame_tx u_ftx (
        .clk(clk), .rst(rst), .start(t_start), .ftype(t_type), .seq(t_seq), .len(t_len),
        .busy(t_busy), .pl_req(t_req), .pl_idx(t_idx), .pl_ack(t_ack), .pl_data(t_data),
        .tx_data(txb), .tx_valid(txb_v), .tx_ready(txb_rdy));

    // engine
    wire        m_we, m_re, m_rvalid, c_commit, c_valid, c_error, e_start, e_busy, e_done;
    wire        c_busy, c_done;
    wire [2:0]  s_idx;
    wire [15:0] s_data;
    wire [1:0]  m_region;
    wire [19:0] m_addr;
    wire [7:0]  m_wdata, m_rdata, c_nl, r_class, r_cidx;
    wire [15:0] c_L, r_cnt, r_nout;
    wire        err_pulse;

    hb_cmd #(.CLK_HZ(CLK_HZ), .LANES(LANES), .FAMILY(FAMILY), .BUILD_HASH(BUILD_HASH),
             .WMEM_BYTES(WMEM_BYTES), .IMEM_BYTES(IMEM_BYTES), .MAX_L(MAX_L),
             .MAX_LAYERS(MAX_LAYERS), .MAX_N_IN(MAX_N_IN), .MAX_N_OUT(MAX_N_OUT),
             .HMEM_BITS(HMEM_BITS), .CAPS(CAPS)) u_cmd (
        .clk(clk), .rst(rst), .cycle(cycle),
        .rx_hdr_valid(f_hdr), .rx_type(f_type), .rx_seq(f_seq), .rx_len(f_len),
        .rx_pl_valid(f_pl), .rx_pl_data(f_pl_data), .rx_end_valid(f_end),
        .rx_end_crc_ok(f_crc_ok), .rx_err_valid(f_err), .rx_err_reason(f_err_reason),
        .rx_err_tknown(f_tknown), .rx_garbage(f_garb),
        .tx_start(t_start), .tx_type(t_type), .tx_seq(t_seq), .tx_len(t_len), .tx_busy(t_busy),
        .tx_pl_req(t_req), .tx_pl_idx(t_idx), .tx_pl_ack(t_ack), .tx_pl_data(t_data),
        .mem_we(m_we), .mem_re(m_re), .mem_region(m_region), .mem_addr(m_addr),
        .mem_wdata(m_wdata), .mem_rdata(m_rdata), .mem_rvalid(m_rvalid),
        .cfg_commit(c_commit), .cfg_done(c_done), .cfg_valid(c_valid), .cfg_error(c_error),
        .cfg_n_layers(c_nl), .cfg_L(c_L), .size_idx(s_idx), .size_data(s_data),
        .eng_start(e_start), .eng_busy(e_busy), .eng_done(e_done),
        .result_class(r_class), .cnt_idx(r_cidx), .cnt_data(r_cnt), .n_out_last(r_nout),
        .err_pulse(err_pulse));

    hb_engine #(.LANES(LANES), .FAMILY(FAMILY), .WMEM_BYTES(WMEM_BYTES),
                .IMEM_BYTES(IMEM_BYTES), .HMEM_BITS(HMEM_BITS), .MAX_L(MAX_L),
                .MAX_LAYERS(MAX_LAYERS), .MAX_N_IN(MAX_N_IN), .MAX_N_OUT(MAX_N_OUT)) u_eng (
        .clk(clk), .rst(rst),
        .mem_we(m_we), .mem_re(m_re), .mem_region(m_region), .mem_addr(m_addr),
        .mem_wdata(m_wdata), .mem_rdata(m_rdata), .mem_rvalid(m_rvalid),
        .cfg_commit(c_commit), .cfg_busy(c_busy), .cfg_done(c_done), .cfg_valid(c_valid),
        .cfg_error(c_error), .cfg_n_layers(c_nl), .cfg_L(c_L), .size_idx(s_idx),
        .size_data(s_data), .n_out_last(r_nout),
        .start(e_start), .busy(e_busy), .done(e_done), .result_class(r_class),
        .cnt_idx(r_cidx), .cnt_data(r_cnt),
        .act_syn(act_syn), .act_ops(act_ops), .act_wmem(act_wmem), .act_imem(act_imem),
        .act_lif(act_lif));

    assign done = e_done;
    assign busy = e_busy;

    // LEDs. Error LED: on from an ERROR frame to the second toggle of cycle bit EB after it;
    // 2^EB is in [CLK_HZ/16, CLK_HZ/8), so it is on for 1/16 .. 1/4 s (no wide counter).
    localparam integer HB_BIT = $clog2(CLK_HZ) - 1;
    localparam integer EB     = $clog2(CLK_HZ / 16);
    reg [1:0] err_cnt;
    reg       eb_prev;
    always @(posedge clk) begin
        eb_prev <= cycle[EB];
        if (rst)                                     err_cnt <= 2'd0;
        else if (err_pulse)                          err_cnt <= 2'd2;
        else if (err_cnt != 2'd0 && cycle[EB] != eb_prev) err_cnt <= err_cnt - 1'b1;
    end
    assign led = {c_valid, (err_cnt != 2'd0), e_busy, cycle[HB_BIT]};

    wire unused_ok = rx_ferr | c_busy;
endmodule
`default_nettype wire
