// Pin wrapper for place-and-route measurements of hb_engine alone (not a board design):
// all engine inputs come from a serial shift register fed by one pin, all outputs are
// registered and XOR-reduced onto one pin, so nothing is optimised away and the design fits
// the sg48 package. act_* outputs stay unused as on a board.
module hb_engine_pins (
    input  wire clk,
    input  wire rst,
    input  wire sin,
    output reg  sout
);
    localparam integer NI = 1 + 1 + 2 + 20 + 8 + 1 + 3 + 1 + 8;
    reg [NI-1:0] sr;
    always @(posedge clk) sr <= {sr[NI-2:0], sin};
    wire [7:0] mem_rdata, cfg_n_layers, result_class;
    wire mem_rvalid, cfg_busy, cfg_done, cfg_valid, cfg_error, busy, done;
    wire [15:0] cfg_L, size_data, n_out_last, cnt_data;
    hb_engine #(.LANES(32), .FAMILY(1), .WMEM_BYTES(105984), .IMEM_BYTES(25088),
        .HMEM_BITS(32768), .MAX_L(512)) u_eng (
        .clk(clk), .rst(rst),
        .mem_we(sr[0]), .mem_re(sr[1]), .mem_region(sr[3:2]), .mem_addr(sr[23:4]),
        .mem_wdata(sr[31:24]), .mem_rdata(mem_rdata), .mem_rvalid(mem_rvalid),
        .cfg_commit(sr[32]), .cfg_busy(cfg_busy), .cfg_done(cfg_done), .cfg_valid(cfg_valid),
        .cfg_error(cfg_error), .cfg_n_layers(cfg_n_layers), .cfg_L(cfg_L),
        .size_idx(sr[35:33]), .size_data(size_data), .n_out_last(n_out_last),
        .start(sr[36]), .busy(busy), .done(done), .result_class(result_class),
        .cnt_idx(sr[44:37]), .cnt_data(cnt_data),
        .act_syn(), .act_ops(), .act_wmem(), .act_imem(), .act_lif());
    always @(posedge clk)
        sout <= ^{mem_rdata, mem_rvalid, cfg_busy, cfg_done, cfg_valid, cfg_error, cfg_n_layers,
                  cfg_L, size_data, n_out_last, busy, done, result_class, cnt_data};
endmodule
