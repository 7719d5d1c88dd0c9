// Behavioural model of the iCE40UP5K SB_SPRAM256KA (16K x 16, nibble write masks,
// 1-cycle synchronous read) for Verilator runs of the FAMILY=1 engine. Not for synthesis:
// yosys provides the real primitive.
module SB_SPRAM256KA (
    input  wire [13:0] ADDRESS,
    input  wire [15:0] DATAIN,
    input  wire [3:0]  MASKWREN,
    input  wire        WREN,
    input  wire        CHIPSELECT,
    input  wire        CLOCK,
    input  wire        STANDBY,
    input  wire        SLEEP,
    input  wire        POWEROFF,
    output reg  [15:0] DATAOUT
);
    reg [15:0] mem [0:16383];
    integer n;
    always @(posedge CLOCK) begin
        if (CHIPSELECT && !STANDBY && !SLEEP && POWEROFF) begin
            if (WREN) begin
                for (n = 0; n < 4; n = n + 1)
                    if (MASKWREN[n]) mem[ADDRESS][4*n +: 4] <= DATAIN[4*n +: 4];
            end else begin
                DATAOUT <= mem[ADDRESS];
            end
        end
    end
endmodule
