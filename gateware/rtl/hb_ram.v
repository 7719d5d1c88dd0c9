// Inferable RAMs for the engine (yosys maps them to iCE40 EBR, ECP5 DP16KD, Xilinx BRAM/LUTRAM).

// hb_ram_1r1w: one synchronous write port, one synchronous read port (1-cycle latency).
module hb_ram_1r1w #(
    parameter integer W = 8,
    parameter integer D = 256,
    parameter integer AW = (D > 1) ? $clog2(D) : 1
) (
    input  wire          clk,
    input  wire          we,
    input  wire [AW-1:0] waddr,
    input  wire [W-1:0]  wdata,
    input  wire [AW-1:0] raddr,
    output reg  [W-1:0]  rdata
);
    // Every user reads and writes different addresses in any one cycle (the engine fills a
    // buffer in one phase and reads it in another; see hb_engine.v), so yosys need not add
    // read-during-write bypass logic (on the iCE40 that logic cost ~310 logic cells).
    (* no_rw_check *)
    reg [W-1:0] mem [0:D-1];
    always @(posedge clk) begin
        if (we) mem[waddr] <= wdata;
        rdata <= mem[raddr];
    end
endmodule

// hb_umem: the unified single-port memory holding INPUT (from word 0) and WEIGHTS (from
// word IMEM_BYTES/(W/8)). W-bit words, byte write enables, 1-cycle synchronous read.
// FAMILY 1 with W=32 and D=32768: four iCE40UP5K SB_SPRAM256KA (128 KiB); words 0..16383 in
// SPRAMs 0 (bits 15:0) and 1 (bits 31:16), words 16384..32767 in SPRAMs 2 and 3.
module hb_umem #(
    parameter integer W = 32,
    parameter integer D = 1024,
    parameter integer FAMILY = 0,
    parameter integer AW = $clog2(D)
) (
    input  wire           clk,
    input  wire [AW-1:0]  addr,
    input  wire           we,
    input  wire [W/8-1:0] be,
    input  wire [W-1:0]   wdata,
    output wire [W-1:0]   rdata
);
    generate
        if (FAMILY == 1 && W == 32 && D == 32768) begin : g_spram
            reg hi_q;
            wire [31:0] lo_d, hi_d;
            wire [3:0] m0 = {be[1], be[1], be[0], be[0]};
            wire [3:0] m1 = {be[3], be[3], be[2], be[2]};
            always @(posedge clk) hi_q <= addr[14];
            SB_SPRAM256KA s0 (.ADDRESS(addr[13:0]), .DATAIN(wdata[15:0]), .MASKWREN(m0),
                .WREN(we & ~addr[14]), .CHIPSELECT(1'b1), .CLOCK(clk), .STANDBY(1'b0),
                .SLEEP(1'b0), .POWEROFF(1'b1), .DATAOUT(lo_d[15:0]));
            SB_SPRAM256KA s1 (.ADDRESS(addr[13:0]), .DATAIN(wdata[31:16]), .MASKWREN(m1),
                .WREN(we & ~addr[14]), .CHIPSELECT(1'b1), .CLOCK(clk), .STANDBY(1'b0),
                .SLEEP(1'b0), .POWEROFF(1'b1), .DATAOUT(lo_d[31:16]));
            SB_SPRAM256KA s2 (.ADDRESS(addr[13:0]), .DATAIN(wdata[15:0]), .MASKWREN(m0),
                .WREN(we & addr[14]), .CHIPSELECT(1'b1), .CLOCK(clk), .STANDBY(1'b0),
                .SLEEP(1'b0), .POWEROFF(1'b1), .DATAOUT(hi_d[15:0]));
            SB_SPRAM256KA s3 (.ADDRESS(addr[13:0]), .DATAIN(wdata[31:16]), .MASKWREN(m1),
                .WREN(we & addr[14]), .CHIPSELECT(1'b1), .CLOCK(clk), .STANDBY(1'b0),
                .SLEEP(1'b0), .POWEROFF(1'b1), .DATAOUT(hi_d[31:16]));
            assign rdata = hi_q ? hi_d : lo_d;
        end else begin : g_generic
            reg [W-1:0] mem [0:D-1];
            reg [W-1:0] q;
            integer b;
            always @(posedge clk) begin
                for (b = 0; b < W/8; b = b + 1)
                    if (we && be[b]) mem[addr][8*b +: 8] <= wdata[8*b +: 8];
                q <= mem[addr];
            end
            assign rdata = q;
        end
    endgenerate
endmodule
