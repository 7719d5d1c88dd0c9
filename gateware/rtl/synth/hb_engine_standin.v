// Stand-in for hb_engine, only for measuring the link side alone (synth/pnr_link.sh): every
// output depends on the inputs through a few registers, so no link-side logic is optimised
// away; it costs a few tens of logic cells itself. Not a model of the engine.
module hb_engine #(
    parameter integer LANES = 32, parameter integer FAMILY = 0, parameter integer WMEM_BYTES = 1,
    parameter integer IMEM_BYTES = 1, parameter integer HMEM_BITS = 1, parameter integer MAX_L = 1,
    parameter integer MAX_LAYERS = 4, parameter integer MAX_N_IN = 1024, parameter integer MAX_N_OUT = 256
) (
    input wire clk, input wire rst, input wire mem_we, input wire mem_re, input wire [1:0] mem_region,
    input wire [19:0] mem_addr, input wire [7:0] mem_wdata, output reg [7:0] mem_rdata, output reg mem_rvalid,
    input wire cfg_commit, output reg cfg_busy, output reg cfg_done, output reg cfg_valid, output reg cfg_error,
    output wire [7:0] cfg_n_layers, output wire [15:0] cfg_L, input wire [2:0] size_idx,
    output wire [15:0] size_data, output wire [15:0] n_out_last, input wire start, output reg busy,
    output reg done, output reg [7:0] result_class, input wire [7:0] cnt_idx, output reg [15:0] cnt_data,
    output wire [15:0] act_syn, output wire [15:0] act_ops, output wire act_wmem, output wire act_imem,
    output wire act_lif);
    reg [15:0] r;
    always @(posedge clk) begin
        r <= {r[14:0], ^{mem_we, mem_re, mem_region, mem_addr, mem_wdata, cfg_commit, start, size_idx, cnt_idx, rst}};
        mem_rdata <= r[7:0] ^ mem_addr[7:0]; mem_rvalid <= r[1]; cfg_busy <= r[2]; cfg_done <= r[3];
        cfg_valid <= r[4]; cfg_error <= r[5]; busy <= r[6]; done <= r[7]; result_class <= r[15:8];
        cnt_data <= {r[7:0], cnt_idx};
    end
    assign cfg_n_layers = r[7:0]; assign cfg_L = r; assign size_data = {r[12:0], size_idx};
    assign n_out_last = {r[3:0], r[15:4]};
    assign act_syn = 16'd0; assign act_ops = 16'd0; assign act_wmem = 1'b0; assign act_imem = 1'b0;
    assign act_lif = 1'b0;
endmodule
