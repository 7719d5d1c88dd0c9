// Behavioural models of the iCE40 SB_LUT4 and SB_CARRY for Verilator runs of the FAMILY=1
// engine. Not for synthesis: yosys provides the real primitives.
module SB_LUT4 #(parameter [15:0] LUT_INIT = 16'h0000) (
    input wire I0, input wire I1, input wire I2, input wire I3, output wire O);
    assign O = LUT_INIT[{I3, I2, I1, I0}];
endmodule

module SB_CARRY (input wire I0, input wire I1, input wire CI, output wire CO);
    assign CO = (I0 & I1) | (CI & (I0 | I1));
endmodule
